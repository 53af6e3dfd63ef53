"""Displays of samples in the input space: reconstructions and generated samples."""

import math

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._base import (
    as_images,
    check_count,
    check_dims,
    check_indices,
    estimator_name,
    feature_names,
    grid_axes,
    image_shape_for,
    rows_of,
    sample_labels,
    take,
)


def _draw_image(ax, image, cmap, vmin, vmax):
    artist = ax.imshow(image, cmap=cmap if image.ndim == 2 else None, vmin=vmin, vmax=vmax)
    ax.set_xticks([])
    ax.set_yticks([])
    return artist


class ReconstructionDisplay:
    """Originals above their reconstructions.

    Images are drawn as images; tabular rows as bar charts, one bar per
    feature. Build it with :meth:`from_estimator`; the constructor takes
    arrays computed elsewhere.

    Parameters
    ----------
    originals : ndarray of shape (n_samples, n_features) or (n_samples, H, W)
        The samples.
    reconstructions : ndarray of the same shape
        Their reconstructions.
    image_shape : tuple of int or None, default=None
        ``(height, width)`` or ``(channels, height, width)`` to draw the
        samples as images; None draws bars (or images, when ``originals``
        already has an image layout).
    feature_names : list of str or None, default=None
        Bar labels, for tabular rows of at most 20 features.
    sample_names : list of str or None, default=None
        Column titles; by default ``"sample 0"``, ``"sample 1"``, ...
        (:meth:`from_estimator` gives the rows' positions in ``X``, or the
        labels of a DataFrame's index).
    estimator_name : str or None, default=None

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes, shape (2, n_samples)
        Originals in row 0, reconstructions in row 1.
    images_ : ndarray of AxesImage, shape (2, n_samples), or None
        The drawn images, or None when bars were drawn.
    bars_ : ndarray of BarContainer, shape (2, n_samples), or None
        The drawn bars, or None when images were drawn.
    figure_ : matplotlib Figure
    bounding_ax_ : matplotlib Axes or None
        The axes whose area was split when one Axes was passed as ``ax``.

    See Also
    --------
    GeneratedSamplesDisplay : Samples decoded from latent points.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skae import Autoencoder
    >>> from skae.plotting import ReconstructionDisplay
    >>> X = load_digits().data / 16
    >>> ae = Autoencoder(n_components=8, max_iter=5, random_state=0).fit(X)
    >>> display = ReconstructionDisplay.from_estimator(ae, X, n_samples=4, image_shape=(8, 8))
    >>> display.images_.shape
    (2, 4)
    """

    def __init__(
        self,
        originals,
        reconstructions,
        *,
        image_shape=None,
        feature_names=None,
        sample_names=None,
        estimator_name=None,
    ):
        self.originals = originals
        self.reconstructions = reconstructions
        self.image_shape = image_shape
        self.feature_names = feature_names
        self.sample_names = sample_names
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        *,
        n_samples=8,
        indices=None,
        image_shape=None,
        ax=None,
        cmap="gray",
    ):
        """Reconstruct samples of ``X`` with a fitted autoencoder and plot them.

        Parameters
        ----------
        estimator : fitted skae estimator
            Anything with a ``reconstruct`` method.
        X : array-like or DataFrame
            Data in the layout the estimator was fitted on.
        n_samples : int, default=8
            Draw the first ``n_samples`` samples of ``X``, unless ``indices``
            is given.
        indices : sequence of int or None, default=None
            Positions of the samples to draw.
        image_shape : tuple of int or None, default=None
            ``(height, width)`` or ``(channels, height, width)`` to draw rows
            as images; by default the estimator's ``image_shape_``, then the
            layout of ``X``; bars otherwise.
        ax : matplotlib Axes, array of 2 * n Axes, or None, default=None
            A single Axes is split into the grid.
        cmap : str, default="gray"
            Colour map of single-channel images.

        Returns
        -------
        display : ReconstructionDisplay
        """
        check_is_fitted(estimator)
        positions = check_indices(indices, len(X), n_samples)
        subset = take(X, positions)
        reconstructions = estimator.reconstruct(subset)
        originals = rows_of(subset)
        shape = image_shape_for(estimator, X, image_shape)
        names = None if shape is not None else feature_names(estimator, X, originals.shape[1])
        # "sample 3", not "3": over digits a bare number reads as the digit
        sample_names = [f"sample {i}" for i in sample_labels(X, positions)]
        display = cls(
            originals,
            rows_of(reconstructions),
            image_shape=shape,
            feature_names=names,
            sample_names=sample_names,
            estimator_name=estimator_name(estimator),
        )
        return display.plot(ax=ax, cmap=cmap)

    def plot(self, *, ax=None, cmap="gray"):
        """Draw the originals above the reconstructions.

        Parameters
        ----------
        ax : matplotlib Axes, array of 2 * n Axes, or None, default=None
            Where to draw; None makes a new figure.
        cmap : str, default="gray"

        Returns
        -------
        display : ReconstructionDisplay
        """
        originals, reconstructions = rows_of(self.originals), rows_of(self.reconstructions)
        if originals.shape != reconstructions.shape:
            raise ValueError(
                f"originals and reconstructions must have the same shape; got "
                f"{originals.shape} and {reconstructions.shape}."
            )
        n = len(originals)
        shape = image_shape_for(None, self.originals, self.image_shape)
        fig, axes, bounding = grid_axes(ax, 2, n, figsize=(max(1.3 * n, 4), 3.2))
        self.figure_, self.axes_, self.bounding_ax_ = fig, axes, bounding
        names = self.sample_names or [f"sample {i}" for i in range(n)]
        if shape is not None:
            both = np.concatenate([originals, reconstructions])
            vmin, vmax = float(both.min()), float(both.max())
            self.images_ = np.empty((2, n), dtype=object)
            self.bars_ = None
            for row, data in enumerate((originals, reconstructions)):
                for j, image in enumerate(as_images(data, shape)):
                    self.images_[row, j] = _draw_image(axes[row, j], image, cmap, vmin, vmax)
        else:
            self._plot_bars(axes, originals, reconstructions)
        for j in range(n):
            axes[0, j].set_title(names[j], fontsize="small")
        axes[0, 0].set_ylabel("original")
        axes[1, 0].set_ylabel("reconstruction")
        if self.estimator_name:
            fig.suptitle(f"{self.estimator_name}: originals and reconstructions")
        return self

    def _plot_bars(self, axes, originals, reconstructions):
        n, n_features = originals.shape
        positions = np.arange(n_features)
        low = min(0.0, float(originals.min()), float(reconstructions.min()))
        high = max(float(originals.max()), float(reconstructions.max()))
        margin = 0.05 * (high - low or 1.0)
        names = self.feature_names
        self.images_ = None
        self.bars_ = np.empty((2, n), dtype=object)
        for row, (data, color) in enumerate(
            ((originals, "tab:blue"), (reconstructions, "tab:orange"))
        ):
            for j in range(n):
                ax = axes[row, j]
                self.bars_[row, j] = ax.bar(positions, data[j], color=color)
                ax.set_ylim(low - margin, high + margin)
                if j:
                    ax.set_yticklabels([])
                if names is not None and n_features <= 20 and row == 1:
                    ax.set_xticks(positions, names, rotation=90, fontsize="x-small")
                else:
                    ax.set_xticks([])


class GeneratedSamplesDisplay:
    """A grid of samples decoded from latent points.

    From a :class:`~skae.VariationalAutoencoder`, either draws from its
    prior (``kind="sample"``) or decodes a sweep of two latent dimensions
    (``kind="grid"``, the layout of Kingma and Welling's latent maps). Any
    other autoencoder can be swept too: pass data ``X`` and the grid spans
    the 5% to 95% quantiles of its codes, the other dimensions held at
    their medians.

    Parameters
    ----------
    samples : ndarray of shape (n_rows, n_cols, n_features) or (n_rows, n_cols, H, W)
        The samples, in grid order.
    image_shape : tuple of int or None, default=None
        ``(height, width)`` or ``(channels, height, width)``; None when
        ``samples`` already has an image layout.
    latent_values : tuple of 2 ndarray or None, default=None
        For a sweep, the latent values down the rows and across the columns,
        written on the axes' edges.
    estimator_name : str or None, default=None

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes, shape (n_rows, n_cols)
    images_ : ndarray of AxesImage, shape (n_rows, n_cols)
    figure_ : matplotlib Figure
    bounding_ax_ : matplotlib Axes or None

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import VariationalAutoencoder
    >>> from skae.plotting import GeneratedSamplesDisplay
    >>> X = load_digits().data / 16
    >>> vae = VariationalAutoencoder(n_components=2, max_iter=5, random_state=0).fit(X)
    >>> display = GeneratedSamplesDisplay.from_estimator(
    ...     vae, kind="grid", n_points=5, image_shape=(8, 8))
    >>> display.images_.shape
    (5, 5)
    """

    def __init__(self, samples, *, image_shape=None, latent_values=None, estimator_name=None):
        self.samples = samples
        self.image_shape = image_shape
        self.latent_values = latent_values
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X=None,
        *,
        kind="sample",
        n_samples=16,
        n_points=8,
        dims=(0, 1),
        random_state=None,
        image_shape=None,
        ax=None,
        cmap="gray",
    ):
        """Generate samples with a fitted autoencoder and plot them in a grid.

        Parameters
        ----------
        estimator : fitted skae estimator
        X : array-like or None, default=None
            Data whose codes bound a sweep; needed for ``kind="grid"`` with
            an estimator that has no prior to sweep (any but the VAE).
        kind : {"sample", "grid"}, default="sample"
            ``"sample"`` draws ``n_samples`` from the VAE's prior with
            ``sample``; ``"grid"`` decodes an ``n_points`` x ``n_points``
            sweep of the latent dimensions ``dims``.
        n_samples : int, default=16
        n_points : int, default=8
        dims : tuple of 2 int, default=(0, 1)
        random_state : int, RandomState instance or None, default=None
            Seeds ``kind="sample"``.
        image_shape : tuple of int or None, default=None
            By default the estimator's ``image_shape_``; required for an
            estimator fitted on rows.
        ax : matplotlib Axes, array of Axes, or None, default=None
        cmap : str, default="gray"

        Returns
        -------
        display : GeneratedSamplesDisplay
        """
        check_is_fitted(estimator)
        if kind not in ("sample", "grid"):
            raise ValueError(f"kind must be 'sample' or 'grid'; got {kind!r}.")
        latent_values = None
        if kind == "sample":
            if not hasattr(estimator, "sample"):
                raise TypeError(
                    f"kind='sample' needs a generative model with a sample method, such as "
                    f"VariationalAutoencoder; {estimator_name(estimator)} has none. Use "
                    "kind='grid' with data X to sweep its code space instead."
                )
            n_samples = check_count(n_samples, "n_samples")
            samples = np.asarray(estimator.sample(n_samples, random_state=random_state))
            n_cols = math.ceil(math.sqrt(n_samples))
            n_rows = math.ceil(n_samples / n_cols)
            flat = samples.reshape(n_samples, -1)
            padded = np.full((n_rows * n_cols, flat.shape[1]), np.nan, dtype=flat.dtype)
            padded[:n_samples] = flat
            samples = padded.reshape(n_rows, n_cols, -1)
        elif hasattr(estimator, "decode_grid") and X is None:
            samples, values = estimator.decode_grid(n_points, dims=dims)
            latent_values = (values, values)
        else:
            samples, latent_values = _sweep(estimator, X, n_points, dims)
        shape = image_shape if image_shape is not None else getattr(estimator, "image_shape_", None)
        if shape is None and np.ndim(samples) <= 3:
            raise ValueError(
                f"{estimator_name(estimator)} was fitted on rows; pass image_shape=(height, "
                "width) or (channels, height, width) to draw them as images."
            )
        display = cls(
            samples,
            image_shape=shape,
            latent_values=latent_values,
            estimator_name=estimator_name(estimator),
        )
        return display.plot(ax=ax, cmap=cmap)

    def plot(self, *, ax=None, cmap="gray"):
        """Draw the grid of samples.

        Parameters
        ----------
        ax : matplotlib Axes, array of Axes, or None, default=None
        cmap : str, default="gray"

        Returns
        -------
        display : GeneratedSamplesDisplay
        """
        samples = np.asarray(self.samples)
        n_rows, n_cols = samples.shape[:2]
        flat = samples.reshape(n_rows * n_cols, -1)
        if self.image_shape is not None:
            shape = image_shape_for(None, None, self.image_shape)
        elif samples.ndim in (4, 5):
            shape = (1, *samples.shape[2:]) if samples.ndim == 4 else samples.shape[2:]
        else:
            raise ValueError("image_shape is needed to draw samples given as rows.")
        images = as_images(flat, shape)
        finite = flat[np.isfinite(flat).all(axis=1)]
        vmin, vmax = float(finite.min()), float(finite.max())
        fig, axes, bounding = grid_axes(ax, n_rows, n_cols, figsize=(0.9 * n_cols, 0.9 * n_rows))
        self.figure_, self.axes_, self.bounding_ax_ = fig, axes, bounding
        self.images_ = np.empty((n_rows, n_cols), dtype=object)
        for k, image in enumerate(images):
            i, j = divmod(k, n_cols)
            if np.isfinite(image).all():
                self.images_[i, j] = _draw_image(axes[i, j], image, cmap, vmin, vmax)
            else:
                axes[i, j].set_axis_off()
        if self.latent_values is not None:
            rows, cols = self.latent_values
            for i in range(n_rows):
                axes[i, 0].set_ylabel(f"{rows[i]:.2g}", fontsize="x-small")
            for j in range(n_cols):
                axes[-1, j].set_xlabel(f"{cols[j]:.2g}", fontsize="x-small")
        if ax is None:
            fig.subplots_adjust(wspace=0.05, hspace=0.05)
        return self


def _sweep(estimator, X, n_points, dims):
    """Decode a grid over two code dimensions of a deterministic autoencoder."""
    if X is None:
        raise ValueError(
            f"kind='grid' with {estimator_name(estimator)} needs data X: the sweep spans "
            "the 5% to 95% quantiles of its codes."
        )
    n_points = check_count(n_points, "n_points")
    codes = np.asarray(estimator.transform(X), dtype=np.float64)
    n_components = codes.shape[1]
    dims = check_dims(dims, n_components)
    low, high = np.quantile(codes[:, dims], [0.05, 0.95], axis=0)
    rows = np.linspace(low[0], high[0], n_points)
    cols = np.linspace(low[1], high[1], n_points)
    points = np.tile(np.median(codes, axis=0), (n_points * n_points, 1))
    points[:, dims[0]] = np.repeat(rows, n_points)
    points[:, dims[1]] = np.tile(cols, n_points)
    decoded = np.asarray(estimator.inverse_transform(points))
    return decoded.reshape(n_points, n_points, *decoded.shape[1:]), (rows, cols)
