"""Per-feature explanations of an outlier score, by putting each feature back on the data.

A feature's contribution to a sample's anomaly score (``-score_samples``) is
how much the score falls when that one feature takes the value the network
reconstructs for it, every other feature unchanged: the part of the
anomaly that goes away once the feature looks like the rest of the sample
says it should. It works for any score an estimator defines (the hybrid
score, the reconstruction error, a VAE's ELBO), since it only calls it.
"""

import numpy as np

__all__ = ["feature_contributions"]

_BLOCK_FLOATS = 2**22
"""Floats in one block of perturbed copies (32 MiB in float64)."""


def feature_contributions(anomaly_score, X, reconstruction):
    """Each feature's contribution to the anomaly score of each row of ``X``.

    Parameters
    ----------
    anomaly_score : callable
        Maps rows to their anomaly scores (higher = more anomalous).
    X : ndarray of shape (n_samples, n_features)
        Finite rows.
    reconstruction : ndarray of shape (n_samples, n_features)
        The network's reconstruction of ``X``.

    Returns
    -------
    contributions : ndarray of shape (n_samples, n_features)
        ``anomaly_score(X) - anomaly_score(X with feature j set to its
        reconstruction)`` in column ``j``: positive where the feature makes
        the row more anomalous, 0 where the feature already equals its
        reconstruction.
    """
    n_samples, n_features = X.shape
    out = np.empty_like(X)
    rows = max(1, _BLOCK_FLOATS // (n_features * n_features))
    diagonal = np.arange(n_features)
    for start in range(0, n_samples, rows):
        block, restored = X[start : start + rows], reconstruction[start : start + rows]
        # one copy of each row per feature, that feature put back to its reconstruction
        copies = np.repeat(block[:, np.newaxis, :], n_features, axis=1)
        copies[:, diagonal, diagonal] = restored
        scores = anomaly_score(np.concatenate([block, copies.reshape(-1, n_features)]))
        base, changed = scores[: len(block)], scores[len(block) :].reshape(len(block), n_features)
        out[start : start + rows] = base[:, np.newaxis] - changed
    return out
