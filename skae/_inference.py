"""Batched, bounded-memory inference (numpy and torch, no skorch).

:func:`map_batches` runs a module in inference mode over slices of an array
and writes each result straight into a preallocated output, so no more than
one batch of activations is alive. The small functions beside it are what the
estimators map: codes, decodings, reconstructions and squared errors.
"""

import numpy as np
import torch

from .losses import squared_error

__all__ = [
    "INFERENCE_FLOATS",
    "PAD_ROWS",
    "complete",
    "decode",
    "encode",
    "fill_missing",
    "inference_batch_size",
    "map_batches",
    "mean_squared_errors",
    "overflow_error",
    "predict",
    "reconstruct",
    "squared_errors",
]

INFERENCE_FLOATS = 2**19
"""Floats in the widest activation of one inference batch (2 MiB in float32).

Small enough that a batch's activations stay in the CPU's caches: on 1,000,000 x 100,
batches of about 4,000 rows ran faster than batches of 16,000 or 32,000.
"""


PAD_ROWS = 32
"""Inference batches are padded to a multiple of this many rows.

On 2-core x86 CPUs (torch 2.13), a row's result in a linear layer differed
by one or two float32 ulps between a batch of up to 11 rows, where the last
rows take another kernel, and a larger batch; from 12 rows on, every
position and batch size tried gave the same bits. scikit-learn's subset and
sample-order invariance checks, over seven configurations and three seeds
each, failed 14 times without padding, once with padding to 8 rows and
never with 16 or 32; 32 leaves a margin for other CPUs (not measured on
any). The cost is in single-sample calls of the convolutional network: one
28 x 28 image took about 14 ms instead of 1.5-2 ms; dense networks showed
no difference.
"""


def fill_missing(X, fill):
    """``X`` with its missing entries (NaN) set to ``fill``; ``X`` itself when none is.

    ``fill`` is None, or a tensor of one value per feature (the estimator's
    ``fill_values_``) on ``X``'s device.
    """
    if fill is None:
        return X
    missing = torch.isnan(X)
    return torch.where(missing, fill, X) if missing.any() else X


def network_input(module, X, fill):
    """What ``module`` is given of rows ``X``: filled, unless it reads missing entries itself."""
    if getattr(module, "reads_missing", False):
        return X
    return fill_missing(X, fill)


def encode(module, X, fill=None):
    return module.encode(network_input(module, X, fill))


def decode(module, Z):
    return module.decode(Z)


def reconstruct(module, X, fill=None):
    return module.decode(module.encode(network_input(module, X, fill)))


def predict(module, X, fill=None):
    """A paired model's outputs: the whole network, then its output activation.

    Through ``forward`` rather than ``decode(encode(X))``, since a network
    with skip connections decodes from the encoder's feature maps too.
    """
    return module.output_activation(module(network_input(module, X, fill))[0])


def complete(module, X, fill=None):
    """``X`` with each missing entry replaced by its reconstruction (observed ones kept)."""
    missing = torch.isnan(X)
    if fill is None or not missing.any():
        return X
    return torch.where(missing, module.decode(module.encode(network_input(module, X, fill))), X)


def squared_errors(module, X, fill=None):
    """Squared error of every entry; 0 at missing entries (the caller marks them NaN)."""
    errors = squared_error(reconstruct(module, X, fill), X)
    return errors if fill is None else errors.masked_fill(torch.isnan(X), 0.0)


def mean_squared_errors(module, X, fill=None):
    """Each sample's mean squared error over its observed entries."""
    errors = squared_error(reconstruct(module, X, fill), X)
    if fill is None:
        return errors.mean(dim=1)
    missing = torch.isnan(X)
    if not missing.any():
        return errors.mean(dim=1)
    return errors.masked_fill(missing, 0.0).sum(dim=1) / (~missing).sum(dim=1).clamp_min(1)


def inference_batch_size(module, n_features):
    """Rows per inference batch, so that the widest activation stays small."""
    widths = [n_features] + [
        layer.out_features for layer in module.modules() if isinstance(layer, torch.nn.Linear)
    ]
    rows = int(np.clip(INFERENCE_FLOATS // max(widths), 256, 65536))
    return rows - rows % PAD_ROWS


def overflow_error(X, module=None):
    """Raise for finite ``X`` whose results are NaN or infinite.

    Either ``module``'s weights are themselves not finite (a model whose
    training diverged, or whose weights were changed by hand), or ``X``'s
    values overflowed the network's float32 computation.
    """
    if module is not None and not all(torch.isfinite(p).all() for p in module.parameters()):
        raise ValueError(
            "The network's weights hold NaN or infinity, so every result would too. "
            "Fit the estimator again (with a lower learning_rate_init if its training "
            "diverged)."
        )
    X = X.numpy() if isinstance(X, torch.Tensor) else X
    largest = float(np.max(np.abs(X))) if X.size else 0.0
    raise ValueError(
        f"X has values up to {largest:.3g} in magnitude: computed in float32 (which "
        f"ends at {np.finfo(np.float32).max:.3g}), the results overflowed to NaN or "
        "infinity. Scale X (for example with StandardScaler) before this estimator."
    )


@torch.inference_mode()
def map_batches(
    module, X, fn, out, *, batch_size, device="cpu", on_nonfinite=None, on_nonfinite_output=None
):
    """Write ``fn(module, Xb)`` for successive row slices of ``X`` into ``out``.

    Every slice is padded with rows of zeros (whose results are dropped) to
    a multiple of :data:`PAD_ROWS` rows. The CPU's matrix products round the
    last rows of a batch of a few rows differently from the same rows in a
    larger batch; padded, a row's results are bit for bit the same whatever
    is computed with it (where it sits in ``X``, how many rows ``X`` has).

    Parameters
    ----------
    module : torch.nn.Module
        Put in evaluation mode.
    X : ndarray or torch.Tensor of shape (n_samples, ...)
        Rows of any float dtype. A float32 tensor (the training data, say)
        and writable float32 arrays are used in place; other rows are
        converted to float32 one slice at a time.
    fn : callable
        ``fn(module, Xb)`` returns a tensor with ``len(Xb)`` rows.
    out : ndarray
        Preallocated result with ``len(X)`` rows; float64 outputs receive
        the float32 results cast up.
    batch_size : int
    device : str or torch.device, default="cpu"
    on_nonfinite : callable or None, default=None
        If given, each slice is checked for NaN or infinity while it is in
        the cache, and ``on_nonfinite(start, stop)`` is called with the
        slice's bounds when the check fails. It raises a helpful error for
        what the caller refuses (infinity; NaN where it is not a missing
        entry) and returns otherwise (it must also cope with a false alarm
        from a sum that overflowed).
    on_nonfinite_output : callable or None, default=None
        If given, called when a batch's result holds NaN or infinity: with
        finite input, that means float32 overflowed inside the network (or
        in the squared errors), or that the weights are not finite. It is
        expected to raise.

    Returns
    -------
    out : ndarray
    """
    module.eval()
    for start in range(0, len(X), batch_size):
        stop = start + batch_size
        Xb = X[start:stop]
        n_rows = len(Xb)
        if isinstance(Xb, np.ndarray):
            if on_nonfinite is not None:
                with np.errstate(over="ignore", invalid="ignore"):
                    if not np.isfinite(Xb.sum()):
                        on_nonfinite(start, start + n_rows)
            if Xb.dtype != np.float32 or not Xb.flags.writeable:
                wider = Xb.dtype.itemsize > 4
                with np.errstate(over="ignore", invalid="ignore"):
                    Xb = np.array(Xb, dtype=np.float32)
                    # finite values beyond float32 became inf: a sum without a copy finds them
                    # (an overflowing sum of finite values is a false alarm, hence isinf)
                    if (
                        on_nonfinite_output is not None
                        and wider
                        and not np.isfinite(Xb.sum())
                        and np.isinf(Xb).any()
                    ):
                        on_nonfinite_output()
            Xb = torch.from_numpy(Xb)
        padding = -n_rows % PAD_ROWS
        if padding:
            Xb = torch.cat([Xb, Xb.new_zeros(padding, *Xb.shape[1:])])
        result = fn(module, Xb.to(device))[:n_rows]
        if on_nonfinite_output is not None and not torch.isfinite(result).all():
            on_nonfinite_output()
        out[start:stop] = result.cpu().numpy()
    return out
