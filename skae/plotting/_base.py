"""Helpers shared by the Display objects: matplotlib on demand, axes grids, images."""

from numbers import Integral

import numpy as np


def check_matplotlib():
    """Import and return ``matplotlib.pyplot``, or raise a helpful ImportError."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "skae.plotting needs matplotlib, which is not installed. Install it with "
            "pip install 'skae[plots]' (or pip install matplotlib)."
        ) from exc
    return plt


def estimator_name(estimator):
    return type(estimator).__name__


def check_count(value, name, low=1):
    if isinstance(value, bool) or not isinstance(value, Integral) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}; got {value!r}.")
    return int(value)


def single_axes(ax):
    """A figure and axes: new ones if ``ax`` is None, else ``ax`` and its figure."""
    plt = check_matplotlib()
    if ax is None:
        fig, ax = plt.subplots()
        return fig, ax
    if not hasattr(ax, "figure") or not hasattr(ax, "plot"):
        raise TypeError(f"ax must be a matplotlib Axes or None; got {type(ax).__name__}.")
    return ax.figure, ax


def grid_axes(ax, n_rows, n_cols, figsize, hspace=None):
    """An ``(n_rows, n_cols)`` array of axes, their figure and the bounding axes.

    ``ax=None`` makes a new figure of ``figsize``; a single Axes has its area
    split into the grid and is hidden (it is returned as the bounding axes,
    as scikit-learn's ``PartialDependenceDisplay`` does); an array of
    ``n_rows * n_cols`` axes is used as given.
    """
    plt = check_matplotlib()
    if ax is None:
        fig, axes = plt.subplots(n_rows, n_cols, figsize=figsize, squeeze=False)
        return fig, axes, None
    if hasattr(ax, "get_subplotspec") and not isinstance(ax, np.ndarray):
        spec = ax.get_subplotspec()
        if spec is None:
            raise ValueError(
                "ax must be an Axes made by plt.subplots or fig.add_subplot (one with a "
                "subplot spec), or an array of axes, or None."
            )
        from matplotlib.gridspec import GridSpecFromSubplotSpec

        fig = ax.figure
        ax.set_axis_off()
        grid = GridSpecFromSubplotSpec(n_rows, n_cols, subplot_spec=spec, hspace=hspace)
        axes = np.empty((n_rows, n_cols), dtype=object)
        for i in range(n_rows):
            for j in range(n_cols):
                axes[i, j] = fig.add_subplot(grid[i, j])
        return fig, axes, ax
    axes = np.asarray(ax, dtype=object)
    if axes.size != n_rows * n_cols:
        raise ValueError(
            f"ax must hold {n_rows * n_cols} axes ({n_rows} rows of {n_cols}) for this plot; "
            f"got {axes.size}."
        )
    axes = axes.reshape(n_rows, n_cols)
    return axes[0, 0].figure, axes, None


def image_shape_for(estimator, X, image_shape):
    """The ``(C, H, W)`` layout to draw samples as images, or None to draw bars.

    ``image_shape`` wins; then the estimator's fitted ``image_shape_``; then
    the layout of ``X`` itself when it holds images.
    """
    if image_shape is not None:
        shape = tuple(image_shape)
        ok = len(shape) in (2, 3) and all(
            isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in shape
        )
        if not ok:
            raise ValueError(
                f"image_shape must be (height, width) or (channels, height, width), positive "
                f"integers; got {image_shape!r}."
            )
        return (1, *shape) if len(shape) == 2 else shape
    fitted = getattr(estimator, "image_shape_", None)
    if fitted is not None:
        return tuple(fitted)
    ndim = getattr(X, "ndim", None)
    if ndim in (3, 4) and not hasattr(X, "columns"):
        shape = tuple(X.shape[1:])
        return (1, *shape) if ndim == 3 else shape
    return None


def as_images(samples, image_shape):
    """Reshape samples to what ``imshow`` draws: ``(n, H, W)`` or ``(n, H, W, C)``."""
    samples = np.asarray(samples)
    n = len(samples)
    channels, height, width = image_shape
    if samples[0].size != channels * height * width:
        raise ValueError(
            f"image_shape={image_shape} needs {channels * height * width} values per sample; "
            f"the samples have {samples[0].size}."
        )
    if channels not in (1, 3, 4):
        raise ValueError(
            f"Only images of 1, 3 or 4 channels can be drawn; image_shape={image_shape}."
        )
    images = samples.reshape(n, channels, height, width)
    if channels == 1:
        return images[:, 0]
    return np.clip(np.moveaxis(images, 1, -1), 0, 1)


def rows_of(X):
    """``X`` as a 2-D float array of rows (images flattened)."""
    values = X.to_numpy() if hasattr(X, "to_numpy") else np.asarray(X)
    return values.reshape(len(values), -1)


def feature_names(estimator, X, n_features):
    if hasattr(X, "columns"):
        return [str(c) for c in X.columns]
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None and len(names) == n_features:
        return [str(c) for c in names]
    return [f"x{i}" for i in range(n_features)]


def check_indices(indices, n_samples_total, n_samples, name="indices"):
    """Positions of the samples to draw: ``indices`` or the first ``n_samples``."""
    if indices is None:
        n_samples = check_count(n_samples, "n_samples")
        return np.arange(min(n_samples, n_samples_total))
    indices = np.asarray(indices)
    if indices.ndim != 1 or indices.size == 0 or not np.issubdtype(indices.dtype, np.integer):
        raise ValueError(f"{name} must be a non-empty 1-D sequence of integer positions.")
    if indices.min() < -n_samples_total or indices.max() >= n_samples_total:
        raise ValueError(
            f"{name} must be positions in X, in [0, {n_samples_total}); got {indices.tolist()}."
        )
    return indices % n_samples_total


def check_dims(dims, n_components):
    """Two different code dimensions in ``[0, n_components)``, as a list."""
    dims = tuple(dims) if np.iterable(dims) else (dims,)
    valid = len(dims) == 2 and dims[0] != dims[1]
    valid = valid and all(
        isinstance(d, Integral) and not isinstance(d, bool) and 0 <= d < n_components for d in dims
    )
    if not valid:
        raise ValueError(
            f"dims must be two different code dimensions in [0, {n_components}); got {dims!r}."
        )
    return [int(d) for d in dims]


def sample_labels(X, positions):
    """The index labels of rows of a DataFrame, or the positions themselves."""
    return X.index[positions] if hasattr(X, "iloc") else positions


def take(X, indices):
    """Rows of an array or a DataFrame (by position), keeping the container."""
    if hasattr(X, "iloc"):
        return X.iloc[indices]
    return np.asarray(X)[indices]
