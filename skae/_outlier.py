"""The hybrid outlier score: neighbours in the input space and in the code space.

A reconstruction error alone ranks anomalies poorly on tabular data: a long
training run reconstructs the anomalies of a contaminated training set, and
anomalies that lie on the data's manifold (unusual combinations of usual
values) are reconstructed well from the start. The hybrid score measures
instead how far a sample lies from the training data, twice:

``neighbors``
    the distance to the ``N_NEIGHBORS``-th nearest of ``MAX_REFERENCE``
    training rows, each feature divided by its training standard deviation:
    global and local anomalies in the input space;
``code_neighbors``
    the distance to the ``N_CODE_NEIGHBORS``-th nearest of
    ``MAX_CODE_REFERENCE`` training codes, each code dimension standardised:
    the same in the space the network learned.

Both references are seeded subsamples of the training data: the distance to
the 10th of 256 random training rows is a smoothed density (a few per cent
of the data around the sample), cheap to compute, and it does not fall apart
where anomalies come in tight clusters, as the distance to the 5th of all
training rows does. Each view is standardised robustly on the training data
(minus its median, over its interquartile range; a training row's own copy
among the references is left out) and the score is their weighted mean, with
:data:`WEIGHTS`. The reference sizes, neighbour ranks and weights were chosen
on the selection half of ADBench's classical sets and confirmed on the other
half (see ``docs/anomaly.md``); everything else is estimated from the
training data alone.
"""

import numpy as np
import torch

from .losses import squared_error

__all__ = [
    "COMPONENTS",
    "MAX_STATS_SAMPLES",
    "WEIGHTS",
    "fit_hybrid",
    "hybrid_scores",
    "offset_from_scores",
    "torch_stats",
]

COMPONENTS = ("neighbors", "code_neighbors")
WEIGHTS = (2.0, 1.0)
"""Weights of :data:`COMPONENTS` in the hybrid score."""

N_NEIGHBORS = 10
MAX_REFERENCE = 256
"""Training rows kept as input-space references, and the neighbour rank scored."""

N_CODE_NEIGHBORS = 10
MAX_CODE_REFERENCE = 256
"""Training codes kept as code-space references, and the neighbour rank scored."""

MAX_STATS_SAMPLES = 20_000
"""Most training samples the statistics and the threshold are estimated from.

Larger training sets are subsampled (seeded by the estimator's
``random_state``): on 1,000,000 x 20, estimating from every sample took
about 40 times as long as the training epoch itself, while the estimates
(scales, quartiles, a threshold quantile) are already precise from 20,000
samples.
"""

_BLOCK_ROWS = 1024
"""Queries per block of sample-to-reference distances, the last block padded.

The distances come from a matrix product, whose last bits depend on the
shape it is given: a fixed shape makes each sample's score the same whatever
else is scored with it (a subset, another order, another batch size).
"""


def _robust_spread(values):
    q1, q3 = np.percentile(values, [25, 75])
    spread = q3 - q1
    if not spread > 1e-12 * max(1.0, abs(q3)):
        spread = values.std()
    return spread if spread > 0 and np.isfinite(spread) else 1.0


def _scale(values):
    """Mean and standard deviation of each column; a constant column's scale is 1."""
    values = values.astype(np.float64)
    scale = values.std(axis=0)
    scale[~(scale > 0)] = 1.0
    return values.mean(axis=0), scale


def _reference(n_rows, max_reference, random_state):
    """Row indices of a seeded subsample of at most ``max_reference`` of ``n_rows``, in order."""
    if n_rows <= max_reference:
        return np.arange(n_rows)
    return np.sort(random_state.choice(n_rows, max_reference, replace=False))


def kth_neighbor_distance(queries, reference, k, is_reference=None):
    """Distance from each query to its ``k``-th nearest reference.

    Parameters
    ----------
    queries : Tensor of shape (n, d)
    reference : Tensor of shape (m, d)
    k : int
        At most ``m - 1`` when ``is_reference`` marks any query.
    is_reference : bool Tensor of shape (n,), optional
        Queries that are themselves among the references (training rows).

    Returns
    -------
    distances : Tensor of shape (n,), or (n, 2) with ``is_reference``
        With ``is_reference``, two columns from one search: the distance as
        for any query (a reference's own copy, at distance 0, counts among
        its neighbours), and the distance with that copy left out (to the
        ``k``-th nearest other reference).
    """
    squared_norms = reference.square().sum(dim=1)
    rows = _BLOCK_ROWS
    k_self = min(k + 1, len(reference))
    n_queries = len(queries)
    padding = -n_queries % rows
    if padding:
        queries = torch.cat([queries, queries.new_zeros(padding, queries.shape[1])])
        if is_reference is not None:
            is_reference = torch.cat([is_reference, is_reference.new_zeros(padding)])
    out = []
    for start in range(0, len(queries), rows):
        block = queries[start : start + rows]
        # |q - r|^2 = |q|^2 + |r|^2 - 2 q.r, the matrix product doing the work
        squared = torch.addmm(squared_norms, block, reference.T, alpha=-2.0)
        squared += block.square().sum(dim=1, keepdim=True)
        if is_reference is None:
            kth = squared.topk(k, dim=1, largest=False, sorted=False).values.amax(dim=1)
        else:
            nearest = squared.topk(k_self, dim=1, largest=False, sorted=True).values
            mine = is_reference[start : start + rows]
            left_out = torch.where(mine, nearest[:, k_self - 1], nearest[:, k - 1])
            kth = torch.stack([nearest[:, k - 1], left_out], dim=1)
        out.append(kth.clamp_min(0.0).sqrt())
    return torch.cat(out)[:n_queries]


def fit_hybrid(rows, codes, random_state, device):
    """Fit the hybrid score on training rows and their codes; return its stats and the scores.

    Parameters
    ----------
    rows : Tensor of shape (n_samples, n_features)
        Training rows (float32).
    codes : ndarray of shape (n_samples, n_components)
        Their codes.
    random_state : numpy.random.RandomState
        Draws the two reference subsamples.
    device : str or torch.device

    Returns
    -------
    stats : dict
        The scales, references, neighbour ranks, and the robust centre and
        spread of each component on the training samples.
    scores : ndarray of shape (n_samples,)
        The training samples' :func:`hybrid_scores`, as :meth:`score_samples`
        would give them: a training row is among its own references, so it
        scores slightly more normal than a new sample would (as with
        scikit-learn's ``LocalOutlierFactor(novelty=True)``). The centre and
        spread, in contrast, come from the distances with each row's own
        copy left out, which is how new samples are measured.
    """
    rows_np = rows.cpu().numpy()
    n = len(rows_np)
    input_mean, input_scale = _scale(rows_np)
    code_mean, code_scale = _scale(codes)
    chosen = _reference(n, MAX_REFERENCE, random_state)
    chosen_codes = _reference(n, MAX_CODE_REFERENCE, random_state)
    stats = {
        "input_mean": input_mean,
        "input_scale": input_scale,
        "code_mean": code_mean,
        "code_scale": code_scale,
        "reference_rows": (rows_np[chosen] - input_mean) / input_scale,
        "reference_codes": (codes[chosen_codes] - code_mean) / code_scale,
        "n_neighbors": max(1, min(N_NEIGHBORS, len(chosen) - 1)),
        "n_code_neighbors": max(1, min(N_CODE_NEIGHBORS, len(chosen_codes) - 1)),
        "center": np.zeros(len(COMPONENTS)),
        "spread": np.ones(len(COMPONENTS)),
    }
    masks = []
    for picked in (chosen, chosen_codes):
        mask = np.zeros(n, dtype=bool)
        if len(picked) > 1:  # with one reference, there is no other to measure to
            mask[picked] = True
        masks.append(torch.as_tensor(mask, device=device))
    device_stats = torch_stats(stats, device)
    rows, codes_t = rows.to(device), torch.as_tensor(codes, dtype=torch.float32, device=device)
    both = _components(rows, codes_t, device_stats, masks)
    # standardised as new samples would be: each row's own copy left out
    left_out = both[:, :, 1].cpu().numpy().astype(np.float64)
    stats["center"] = np.median(left_out, axis=0)
    stats["spread"] = np.array([_robust_spread(c) for c in left_out.T])
    # scored as score_samples scores them, so that contamination holds on the training data
    scores = _weighted(both[:, :, 0], torch_stats(stats, device))
    return stats, scores.cpu().numpy().astype(codes.dtype)


_STATS_KEYS = frozenset(
    {"input_mean", "input_scale", "reference_rows", "reference_codes", "center", "spread"}
)


def check_stats(stats, name):
    """Raise a helpful error for statistics of another version's hybrid score."""
    missing = _STATS_KEYS - set(stats)
    if missing:
        raise ValueError(
            f"This {name} was fitted by an earlier skae, whose hybrid outlier score kept "
            f"other statistics (missing: {', '.join(sorted(missing))}). Call "
            "fit_threshold(X_train) to recompute them from the training data without "
            "training, or fit the estimator again."
        )


def torch_stats(stats, device):
    """Move the arrays of ``stats``, and :data:`WEIGHTS`, to float32 tensors on ``device``."""

    def tensor(array):
        return torch.as_tensor(np.asarray(array), dtype=torch.float32, device=device)

    out = {k: tensor(v) if isinstance(v, np.ndarray) else v for k, v in stats.items()}
    out["weights"] = tensor(WEIGHTS)
    return out


def _components(X, codes, stats, is_reference=(None, None)):
    """The raw components of rows ``X`` with codes ``codes``; higher = more anomalous.

    Shape ``(n, 2)``; with ``is_reference`` masks (training rows), ``(n, 2, 2)``:
    each component as for any sample, then with a row's own reference left out.
    """
    standardized = (X - stats["input_mean"]) / stats["input_scale"]
    standardized_codes = (codes - stats["code_mean"]) / stats["code_scale"]
    neighbors = kth_neighbor_distance(
        standardized, stats["reference_rows"], stats["n_neighbors"], is_reference[0]
    )
    code_neighbors = kth_neighbor_distance(
        standardized_codes, stats["reference_codes"], stats["n_code_neighbors"], is_reference[1]
    )
    return torch.stack([neighbors, code_neighbors], dim=1)


def _weighted(components, stats):
    z = (components - stats["center"]) / stats["spread"]
    weights = stats["weights"]
    return -(z @ weights) / weights.sum()


def _codes_and_completed(module, X, fill):
    """The codes of a batch, and the batch with its missing entries reconstructed.

    A sample with missing entries is encoded with them at ``fill`` (see
    :func:`skae._inference.fill_missing`), and measured in the input space
    with them at their reconstruction: only its observed entries are its own.
    """
    missing = torch.isnan(X) if fill is not None else None
    if missing is None or not missing.any():
        return module.encode(X), X
    codes = module.encode(torch.where(missing, fill, X))
    return codes, torch.where(missing, module.decode(codes), X)


def hybrid_scores(module, X, stats, fill=None):
    """Hybrid scores of a batch, higher for more normal samples."""
    codes, completed = _codes_and_completed(module, X, fill)
    return _weighted(_components(completed, codes, stats), stats)


def reconstruction_and_codes(module, X, fill=None):
    """Per-sample errors, codes and completed rows of a batch, side by side: one pass for all.

    The errors (a missing entry counting 0) tell whether the network's
    outputs are finite; the completed rows are ``X`` with each missing entry
    at its reconstruction.
    """
    codes, completed = _codes_and_completed(module, X, fill)
    errors = squared_error(module.decode(codes), completed).mean(dim=1, keepdim=True)
    return torch.cat([errors, codes, completed], dim=1)


def offset_from_scores(scores, contamination):
    """Threshold on ``score_samples`` below which a sample is an outlier."""
    if contamination == "auto":
        q1, q3 = np.percentile(-scores, [25, 75])
        return -(q3 + 1.5 * (q3 - q1))
    return np.percentile(scores, 100.0 * contamination)
