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
    "decode",
    "encode",
    "inference_batch_size",
    "map_batches",
    "mean_squared_errors",
    "overflow_error",
    "reconstruct",
    "squared_errors",
]

INFERENCE_FLOATS = 2**19
"""Floats in the widest activation of one inference batch (2 MiB in float32).

Small enough that a batch's activations stay in the CPU's caches: on 1,000,000 x 100,
batches of about 4,000 rows ran faster than batches of 16,000 or 32,000.
"""


def encode(module, X):
    return module.encode(X)


def decode(module, Z):
    return module.decode(Z)


def reconstruct(module, X):
    return module.decode(module.encode(X))


def squared_errors(module, X):
    return squared_error(reconstruct(module, X), X)


def mean_squared_errors(module, X):
    return squared_errors(module, X).mean(dim=1)


def inference_batch_size(module, n_features):
    """Rows per inference batch, so that the widest activation stays small."""
    widths = [n_features] + [
        layer.out_features for layer in module.modules() if isinstance(layer, torch.nn.Linear)
    ]
    return int(np.clip(INFERENCE_FLOATS // max(widths), 256, 65536))


def overflow_error(X):
    """Raise for finite ``X`` whose values overflowed the network's float32 computation."""
    X = X.numpy() if isinstance(X, torch.Tensor) else X
    largest = float(np.max(np.abs(X))) if X.size else 0.0
    raise ValueError(
        f"X has values up to {largest:.3g} in magnitude: computed in float32 (which "
        f"ends at {np.finfo(np.float32).max:.3g}), the network overflowed and gave "
        "NaN. Scale X (for example with StandardScaler) before this estimator."
    )


@torch.inference_mode()
def map_batches(
    module, X, fn, out, *, batch_size, device="cpu", on_nonfinite=None, on_nan_output=None
):
    """Write ``fn(module, Xb)`` for successive row slices of ``X`` into ``out``.

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
        the cache, and ``on_nonfinite()`` is called when the check fails; it
        is expected to raise a helpful error (it must also cope with a false
        alarm from a sum that overflowed).
    on_nan_output : callable or None, default=None
        If given, called when a batch's result holds NaN: with finite input,
        that means float32 overflowed inside the network. It is expected to
        raise.

    Returns
    -------
    out : ndarray
    """
    module.eval()
    for start in range(0, len(X), batch_size):
        stop = start + batch_size
        Xb = X[start:stop]
        if isinstance(Xb, np.ndarray):
            if on_nonfinite is not None:
                with np.errstate(over="ignore", invalid="ignore"):
                    if not np.isfinite(Xb.sum()):
                        on_nonfinite()
            if Xb.dtype != np.float32 or not Xb.flags.writeable:
                with np.errstate(over="ignore"):  # beyond float32: inf, then on_nan_output
                    Xb = np.array(Xb, dtype=np.float32)
            Xb = torch.from_numpy(Xb)
        result = fn(module, Xb.to(device))
        if on_nan_output is not None and torch.isnan(result).any():
            on_nan_output()
        out[start:stop] = result.cpu().numpy()
    return out
