"""Displays for outlier detection: the score distribution and per-feature errors."""

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from ._base import (
    check_count,
    check_indices,
    estimator_name,
    feature_names,
    grid_axes,
    rows_of,
    sample_labels,
    single_axes,
    take,
)


class AnomalyScoreDisplay:
    """Histogram of ``score_samples`` with the ``offset_`` threshold.

    Samples left of the threshold are what ``predict`` flags as outliers.
    With labels, one histogram per label value on shared bins.

    Parameters
    ----------
    scores : ndarray of shape (n_samples,)
        Higher is more normal, as ``score_samples`` returns.
    offset : float or None, default=None
        The threshold, drawn as a vertical line.
    labels : array-like of shape (n_samples,) or None, default=None
        Splits the histogram, for example into known inliers and outliers.
    estimator_name : str or None, default=None

    Attributes
    ----------
    histograms_ : dict
        The bar containers drawn, keyed by label (``None`` without labels).
    threshold_line_ : matplotlib Line2D or None
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skae import Autoencoder
    >>> from skae.plotting import AnomalyScoreDisplay
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> detector = Autoencoder(max_iter=5, contamination=0.1, random_state=0).fit(X)
    >>> display = AnomalyScoreDisplay.from_estimator(detector, X, y)
    >>> sorted(display.histograms_)
    [0, 1]
    """

    def __init__(self, scores, *, offset=None, labels=None, estimator_name=None):
        self.scores = scores
        self.offset = offset
        self.labels = labels
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(cls, estimator, X, y=None, *, bins=50, density=False, ax=None):
        """Score ``X`` with a fitted detector and plot the histogram.

        Parameters
        ----------
        estimator : fitted skae estimator
        X : array-like or DataFrame
        y : array-like of shape (n_samples,) or None, default=None
            Labels to split the histogram by; never used to score.
        bins : int, default=50
        density : bool, default=False
            Normalise each histogram to unit area, to compare label groups
            of very different sizes.
        ax : matplotlib Axes or None, default=None

        Returns
        -------
        display : AnomalyScoreDisplay
        """
        check_is_fitted(estimator)
        scores = np.asarray(estimator.score_samples(X))
        if y is not None and len(y) != len(scores):
            raise ValueError(f"y has {len(y)} labels, but X has {len(scores)} samples.")
        display = cls(
            scores,
            offset=estimator.offset_,
            labels=y,
            estimator_name=estimator_name(estimator),
        )
        return display.plot(ax=ax, bins=bins, density=density)

    def plot(self, *, ax=None, bins=50, density=False):
        """Draw the histogram and the threshold.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
        bins : int, default=50
        density : bool, default=False

        Returns
        -------
        display : AnomalyScoreDisplay
        """
        bins = check_count(bins, "bins")
        fig, ax = single_axes(ax)
        self.figure_, self.ax_ = fig, ax
        scores = np.asarray(self.scores, dtype=float)
        edges = np.histogram_bin_edges(scores, bins=bins)
        self.histograms_ = {}
        if self.labels is None:
            _, _, bars = ax.hist(scores, bins=edges, density=density, color="tab:blue")
            self.histograms_[None] = bars
        else:
            labels = np.asarray(self.labels)
            for value in np.unique(labels):
                key = value.item() if hasattr(value, "item") else value
                _, _, bars = ax.hist(
                    scores[labels == value],
                    bins=edges,
                    density=density,
                    alpha=0.6,
                    label=str(key) if isinstance(key, str) else f"label {key}",
                )
                self.histograms_[key] = bars
        self.threshold_line_ = None
        if self.offset is not None:
            flagged = float(np.mean(scores < self.offset))
            self.threshold_line_ = ax.axvline(
                self.offset,
                color="tab:red",
                linestyle="--",
                label=f"offset_ = {self.offset:.3g} ({flagged:.1%} below)",
            )
        ax.set_xlabel("score_samples (higher = more normal)")
        ax.set_ylabel("density" if density else "samples")
        if self.labels is not None or self.offset is not None:
            ax.legend(fontsize="small")
        if self.estimator_name:
            ax.set_title(f"{self.estimator_name}: outlier scores")
        return self


class FeatureErrorDisplay:
    """The features with the largest reconstruction error, for chosen samples.

    One horizontal bar chart per sample: its ``n_features`` largest squared
    errors from ``reconstruction_error(X, per_feature=True)``, or with
    ``kind="contribution"`` its features' contributions to the anomaly
    score from ``explain(X)``. It answers "why is this sample an outlier?"
    in the data's own column names.

    Parameters
    ----------
    errors : DataFrame of shape (n_samples, n_features)
        Per-feature squared errors (or contributions), one row per sample
        drawn; the index names the samples and the columns the features.
    n_features : int, default=5
        Bars per sample.
    estimator_name : str or None, default=None
    kind : {"error", "contribution"}, default="error"
        What ``errors`` holds, for the axis labels.

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes, shape (1, n_samples)
    bars_ : list of BarContainer
    figure_ : matplotlib Figure
    bounding_ax_ : matplotlib Axes or None

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skae import Autoencoder
    >>> from skae.plotting import FeatureErrorDisplay
    >>> data = load_breast_cancer(as_frame=True)
    >>> X = data.data
    >>> X = (X - X.mean()) / X.std()
    >>> detector = Autoencoder(max_iter=5, random_state=0).fit(X)
    >>> display = FeatureErrorDisplay.from_estimator(detector, X, n_samples=2, n_features=3)
    >>> [len(bars) for bars in display.bars_]
    [3, 3]
    """

    _LABELS = {
        "error": ("squared error", "largest reconstruction errors by feature"),
        "contribution": ("contribution to the score", "what makes each sample anomalous"),
    }

    def __init__(self, errors, *, n_features=5, estimator_name=None, kind="error"):
        self.errors = errors
        self.n_features = n_features
        self.estimator_name = estimator_name
        self.kind = kind

    @classmethod
    def from_estimator(
        cls, estimator, X, *, indices=None, n_samples=3, n_features=5, kind="error", ax=None
    ):
        """Plot the largest per-feature errors of chosen samples of ``X``.

        Parameters
        ----------
        estimator : fitted skae estimator
        X : array-like or DataFrame
        indices : sequence of int or None, default=None
            Positions of the samples to explain; by default the
            ``n_samples`` with the lowest ``score_samples`` (the most
            anomalous).
        n_samples : int, default=3
        n_features : int, default=5
        kind : {"error", "contribution"}, default="error"
            ``"error"`` draws ``reconstruction_error(X, per_feature=True)``,
            ``"contribution"`` each feature's contribution to the anomaly
            score, ``explain(X)``.
        ax : matplotlib Axes, array of Axes, or None, default=None

        Returns
        -------
        display : FeatureErrorDisplay
        """
        check_is_fitted(estimator)
        if kind not in cls._LABELS:
            raise ValueError(f"kind must be 'error' or 'contribution'; got {kind!r}.")
        n_total = len(X)
        if indices is None:
            n_samples = check_count(n_samples, "n_samples")
            order = np.argsort(estimator.score_samples(X), kind="stable")
            positions = order[: min(n_samples, n_total)]
        else:
            positions = check_indices(indices, n_total, n_samples)
        subset = take(X, positions)
        if kind == "error":
            errors = rows_of(estimator.reconstruction_error(subset, per_feature=True))
        else:
            errors = rows_of(estimator.explain(subset))
        columns = feature_names(estimator, X, errors.shape[1])
        index = sample_labels(X, positions)
        frame = pd.DataFrame(errors, columns=columns, index=index)
        display = cls(
            frame, n_features=n_features, estimator_name=estimator_name(estimator), kind=kind
        )
        return display.plot(ax=ax)

    def plot(self, *, ax=None, color="tab:red"):
        """Draw one bar chart per sample.

        Parameters
        ----------
        ax : matplotlib Axes, array of Axes, or None, default=None
        color : str, default="tab:red"

        Returns
        -------
        display : FeatureErrorDisplay
        """
        n_features = check_count(self.n_features, "n_features")
        if self.kind not in self._LABELS:
            raise ValueError(f"kind must be 'error' or 'contribution'; got {self.kind!r}.")
        xlabel, title = self._LABELS[self.kind]
        errors = self.errors
        if not isinstance(errors, pd.DataFrame):
            errors = pd.DataFrame(np.asarray(errors))
        n = len(errors)
        # one panel under the other, so that each has the width for its feature names
        height = n * (0.3 * n_features + 1.0) + 0.5
        fig, axes, bounding = grid_axes(ax, n, 1, figsize=(6.4, height), hspace=0.5)
        axes = axes.reshape(1, n)
        self.figure_, self.axes_, self.bounding_ax_ = fig, axes, bounding
        self.bars_ = []
        for ax_, (name, row) in zip(axes[0], errors.iterrows()):
            top = row.nlargest(n_features)[::-1]
            self.bars_.append(ax_.barh([str(c) for c in top.index], top.to_numpy(), color=color))
            ax_.set_title(f"sample {name}", fontsize="small", pad=2)
        axes[0, -1].set_xlabel(xlabel)
        if self.estimator_name:
            # above its own panels when drawn into a given Axes, not over the whole figure
            if bounding is None:
                fig.suptitle(f"{self.estimator_name}: {title}")
            else:
                bounding.set_title(f"{self.estimator_name}: {title}", pad=14)
        if ax is None:
            fig.tight_layout()
        return self
