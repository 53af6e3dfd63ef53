"""Displays of what training learned: the code space and the loss per epoch."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._base import check_dims, estimator_name, single_axes

MAX_CATEGORIES = 20
"""Labels with at most this many distinct values get a legend, others a colour bar."""


class LatentSpaceDisplay:
    """Codes in the plane, coloured by an optional label.

    Two code dimensions are drawn as they are, or a PCA projection of all
    of them (``projection="pca"``). Labels with few distinct values (at
    most 20 integers, strings or booleans) get one colour each and a
    legend; other numeric labels a colour bar.

    Parameters
    ----------
    codes : ndarray of shape (n_samples, 2)
        The plane's coordinates.
    labels : array-like of shape (n_samples,) or None, default=None
    axis_labels : tuple of 2 str, default=("code 0", "code 1")
    estimator_name : str or None, default=None

    Attributes
    ----------
    scatter_ : matplotlib PathCollection
    legend_ : matplotlib Legend or None
    colorbar_ : matplotlib Colorbar or None
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import Autoencoder
    >>> from skae.plotting import LatentSpaceDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> ae = Autoencoder(n_components=2, max_iter=5, random_state=0).fit(X / 16)
    >>> display = LatentSpaceDisplay.from_estimator(ae, X / 16, y)
    >>> len(display.legend_.get_texts())
    10
    """

    def __init__(
        self, codes, *, labels=None, axis_labels=("code 0", "code 1"), estimator_name=None
    ):
        self.codes = codes
        self.labels = labels
        self.axis_labels = axis_labels
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(cls, estimator, X, y=None, *, dims=(0, 1), projection=None, ax=None):
        """Encode ``X`` and plot the codes.

        Parameters
        ----------
        estimator : fitted skae estimator
        X : array-like or DataFrame
        y : array-like of shape (n_samples,) or None, default=None
            Colours the points; never used to compute the codes.
        dims : tuple of 2 int, default=(0, 1)
            The code dimensions drawn when ``projection`` is None.
        projection : {None, "pca"}, default=None
            ``"pca"`` draws the first two principal components of the codes.
        ax : matplotlib Axes or None, default=None

        Returns
        -------
        display : LatentSpaceDisplay
        """
        check_is_fitted(estimator)
        codes = np.asarray(estimator.transform(X), dtype=np.float64)
        n_components = codes.shape[1]
        if y is not None and len(y) != len(codes):
            raise ValueError(f"y has {len(y)} labels, but X has {len(codes)} samples.")
        if projection == "pca":
            from sklearn.decomposition import PCA

            if n_components < 2:
                raise ValueError("projection='pca' needs codes of at least 2 dimensions.")
            pca = PCA(n_components=2).fit(codes)
            plane = pca.transform(codes)
            shares = pca.explained_variance_ratio_
            axis_labels = tuple(f"PC{k + 1} of the codes ({shares[k]:.0%})" for k in range(2))
        elif projection is None:
            if n_components < 2:
                raise ValueError(
                    f"A latent-space plot needs at least 2 code dimensions; "
                    f"{estimator_name(estimator)} has n_components_={n_components}."
                )
            dims = check_dims(dims, n_components)
            plane = codes[:, dims]
            names = estimator.get_feature_names_out()
            axis_labels = (str(names[dims[0]]), str(names[dims[1]]))
        else:
            raise ValueError(f"projection must be None or 'pca'; got {projection!r}.")
        display = cls(
            plane, labels=y, axis_labels=axis_labels, estimator_name=estimator_name(estimator)
        )
        return display.plot(ax=ax)

    def plot(self, *, ax=None, cmap=None, s=8, alpha=0.8):
        """Draw the scatter plot.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
        cmap : str or None, default=None
            By default ``"tab10"`` (``"tab20"`` beyond 10 classes) for
            categories, ``"viridis"`` for numeric labels.
        s : float, default=8
            Marker size.
        alpha : float, default=0.8

        Returns
        -------
        display : LatentSpaceDisplay
        """
        fig, ax = single_axes(ax)
        self.figure_, self.ax_ = fig, ax
        codes = np.asarray(self.codes)
        self.legend_ = self.colorbar_ = None
        if self.labels is None:
            self.scatter_ = ax.scatter(codes[:, 0], codes[:, 1], s=s, alpha=alpha)
        else:
            labels = np.asarray(self.labels)
            categories = np.unique(labels)
            categorical = labels.dtype.kind in "OUSb" or (
                labels.dtype.kind in "iu" and len(categories) <= MAX_CATEGORIES
            )
            if categorical:
                index = np.searchsorted(categories, labels)
                cmap = cmap or ("tab10" if len(categories) <= 10 else "tab20")
                self.scatter_ = ax.scatter(
                    codes[:, 0],
                    codes[:, 1],
                    c=index,
                    cmap=cmap,
                    s=s,
                    alpha=alpha,
                    vmin=-0.5,
                    vmax=_n_colors(cmap, len(categories)) - 0.5,
                )
                handles, _ = self.scatter_.legend_elements(num=list(range(len(categories))))
                self.legend_ = ax.legend(
                    handles,
                    [str(c) for c in categories],
                    title="label",
                    fontsize="small",
                    loc="best",
                    markerscale=0.8,
                )
            else:
                self.scatter_ = ax.scatter(
                    codes[:, 0], codes[:, 1], c=labels, cmap=cmap or "viridis", s=s, alpha=alpha
                )
                self.colorbar_ = fig.colorbar(self.scatter_, ax=ax, label="label")
        ax.set_xlabel(self.axis_labels[0])
        ax.set_ylabel(self.axis_labels[1])
        if self.estimator_name:
            ax.set_title(f"{self.estimator_name}: codes")
        return self


def _n_colors(cmap, n_categories):
    """Colours spread over the categories: a qualitative map's own colours in order."""
    import matplotlib

    colors = matplotlib.colormaps[cmap].N if isinstance(cmap, str) else cmap.N
    return colors if n_categories <= colors <= 20 else n_categories


class LossCurveDisplay:
    """Training and validation loss per epoch, with the early-stopping point.

    Parameters
    ----------
    loss_curve : sequence of float
        Training loss after each epoch (``loss_curve_``).
    validation_loss : sequence of float or None, default=None
        Validation loss after each epoch (``-validation_scores_``).
    best_epoch : int or None, default=None
        The epoch (1-based) whose weights were kept, marked by a vertical
        line; with early stopping, the epoch of the best validation loss.
    estimator_name : str or None, default=None

    Attributes
    ----------
    train_line_ : matplotlib Line2D
    validation_line_ : matplotlib Line2D or None
    best_line_ : matplotlib Line2D or None
        The vertical line at ``best_epoch``.
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import Autoencoder
    >>> from skae.plotting import LossCurveDisplay
    >>> X = load_digits().data / 16
    >>> ae = Autoencoder(max_iter=30, early_stopping=True, random_state=0).fit(X)
    >>> display = LossCurveDisplay.from_estimator(ae)
    >>> len(display.train_line_.get_xdata()) == ae.n_iter_
    True
    """

    def __init__(self, loss_curve, validation_loss=None, *, best_epoch=None, estimator_name=None):
        self.loss_curve = loss_curve
        self.validation_loss = validation_loss
        self.best_epoch = best_epoch
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, log_scale=False):
        """Plot a fitted estimator's ``loss_curve_`` and ``validation_scores_``.

        Parameters
        ----------
        estimator : fitted skae estimator
        ax : matplotlib Axes or None, default=None
        log_scale : bool, default=False
            Draw the loss on a logarithmic axis (only if every loss is positive).

        Returns
        -------
        display : LossCurveDisplay
        """
        check_is_fitted(estimator)
        scores = getattr(estimator, "validation_scores_", None)
        validation = None if scores is None else [-s for s in scores]
        best = None if scores is None else int(np.argmax(scores)) + 1
        display = cls(
            list(estimator.loss_curve_),
            validation,
            best_epoch=best,
            estimator_name=estimator_name(estimator),
        )
        return display.plot(ax=ax, log_scale=log_scale)

    def plot(self, *, ax=None, log_scale=False):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
        log_scale : bool, default=False

        Returns
        -------
        display : LossCurveDisplay
        """
        fig, ax = single_axes(ax)
        self.figure_, self.ax_ = fig, ax
        train = np.asarray(self.loss_curve, dtype=float)
        if train.ndim != 1 or train.size == 0:
            raise ValueError("loss_curve must be a non-empty sequence of losses.")
        epochs = np.arange(1, len(train) + 1)
        (self.train_line_,) = ax.plot(epochs, train, label="training loss")
        self.validation_line_ = self.best_line_ = None
        if self.validation_loss is not None:
            valid = np.asarray(self.validation_loss, dtype=float)
            (self.validation_line_,) = ax.plot(
                np.arange(1, len(valid) + 1), valid, label="validation loss"
            )
        if self.best_epoch is not None:
            self.best_line_ = ax.axvline(
                self.best_epoch,
                color="0.3",
                linestyle="--",
                label=f"weights kept (epoch {self.best_epoch})",
            )
        if log_scale:
            ax.set_yscale("log")
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.legend()
        if self.estimator_name:
            ax.set_title(f"{self.estimator_name}: loss per epoch")
        return self
