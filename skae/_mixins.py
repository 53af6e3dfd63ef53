"""Behaviour that some variants share: dense networks, training-time noise, image layouts.

A variant class lists the mixins it needs before :class:`~skae.BaseAutoencoder`;
each mixin brings its parameters' constraints, its checks (``_check_params``,
run before a fit changes anything) and the hooks of the base it fills.
"""

from functools import partial
from numbers import Integral, Real

import numpy as np

from ._validation import Interval, StrOptions, check_layer_sizes
from .networks import ACTIVATIONS, DenseAutoencoderNetwork
from .noise import NOISE_KINDS, Corruption

__all__ = [
    "DenoisingMixin",
    "DenseNetworkMixin",
    "ImageLayoutMixin",
    "check_image_shape",
    "image_shape_from",
]


def check_image_shape(value, name):
    """``value`` (a parameter named ``name``) as a ``(C, H, W)`` tuple, None, or a ValueError."""
    if value is None:
        return None
    shape = check_layer_sizes(value, name)
    if len(shape) != 3:
        raise ValueError(
            f"{name} must be (channels, height, width), three positive integers; got {value!r}."
        )
    return shape


def image_shape_from(value, name, n_values, sample_shape, data):
    """``(C, H, W)`` from the parameter ``name`` (``value``) and the data's layout, or None.

    ``sample_shape`` is the shape of one sample of the array named ``data``
    when it held images (``(H, W)`` or ``(C, H, W)``), else None for rows of
    ``n_values`` values. The parameter, when set, must agree with both.
    """
    from_data = None
    if sample_shape is not None:
        from_data = (1, *sample_shape) if len(sample_shape) == 2 else tuple(sample_shape)
    if value is None:
        return from_data
    shape = check_image_shape(value, name)
    if from_data is not None and from_data != shape:
        raise ValueError(
            f"{name}={shape} does not match the images given in {data}, of shape "
            f"{tuple(sample_shape)}."
        )
    if shape[0] * shape[1] * shape[2] != n_values:
        raise ValueError(
            f"{name}={shape} needs {data} of {shape[0] * shape[1] * shape[2]} values per "
            f"sample, but {data} has {n_values}."
        )
    return shape


class DenseNetworkMixin:
    """The dense encoder and mirrored decoder, and the choice of outlier score.

    Brings ``hidden_layer_sizes``, ``activation`` and ``outlier_score``.
    A variant changes the code's activation through :meth:`_code_activation`.
    """

    _dense_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "outlier_score": [StrOptions({"hybrid", "reconstruction"})],
    }

    def _check_params(self):
        super()._check_params()
        check_layer_sizes(self.hidden_layer_sizes, "hidden_layer_sizes")

    def _code_activation(self):
        return "identity"

    def _outlier_score_kind(self):
        return self.outlier_score

    def _make_network(self, n_features):
        return partial(
            DenseAutoencoderNetwork,
            n_features,
            self.n_components_,
            check_layer_sizes(self.hidden_layer_sizes, "hidden_layer_sizes"),
            self.activation,
            code_activation=self._code_activation(),
            output_activation=self._output_activation,
        )


class DenoisingMixin:
    """Training-time corruption for estimators with ``noise`` and ``noise_level``.

    Shared by :class:`~skae.DenoisingAutoencoder` and
    :class:`~skae.ConvAutoencoder`. ``noise=None`` trains on clean inputs.
    """

    _noise_constraints = {
        "noise": [StrOptions(set(NOISE_KINDS)), None],
        "noise_level": [Interval(Real, 0, None, closed="left")],
    }

    def _check_params(self):
        super()._check_params()
        if self.noise not in (None, "gaussian") and self.noise_level > 1:
            raise ValueError(
                f"noise_level is the probability of corrupting each value with "
                f"noise={self.noise!r}, so it must be at most 1; got {self.noise_level}."
            )

    def _divergence_advice(self):
        advice = super()._divergence_advice()
        if self.noise == "gaussian" and self.noise_level > 1:
            return (
                f"noise_level={self.noise_level:g} adds noise of that standard deviation "
                "to every training value, which may be what overflowed: lower "
                f"noise_level. Otherwise: {advice}"
            )
        return advice

    def _make_corruption(self, X):
        if self.noise is None:
            return None
        if self.noise == "salt_pepper":
            # the extremes of the observed values (NaN marks a missing entry)
            missing = X.isnan()
            low = X.masked_fill(missing, float("inf")).amin(dim=0)
            high = X.masked_fill(missing, float("-inf")).amax(dim=0)
            return Corruption("salt_pepper", self.noise_level, low=low, high=high)
        clip = (0.0, 1.0) if self.loss_ == "bce" else None
        return Corruption(self.noise, self.noise_level, clip=clip)

    def denoise(self, X):
        """Remove noise from ``X``: the reconstruction of the corrupted input.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Noisy samples.

        Returns
        -------
        X_denoised : ndarray or DataFrame of shape (n_samples, n_features)
            Same as :meth:`reconstruct`, in its container.
        """
        return self.reconstruct(X)


class ImageLayoutMixin:
    """Images in, images out, for estimators with ``image_shape``, ``filters`` and ``kernel_size``.

    Accepts ``(n, H, W)`` and ``(n, C, H, W)`` arrays besides 2-D rows,
    flattens them before validation and remembers the layout a fit was
    given, so that outputs in the input space come back as images. Sets
    ``image_shape_`` (None for rows without ``image_shape``), and checks the
    convolutional network's ``filters`` and ``kernel_size``. Shared by
    :class:`~skae.ConvAutoencoder` and the variational autoencoder.
    """

    _image_constraints = {
        "image_shape": ["array-like", None],
        "filters": ["array-like"],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
    }

    def _check_params(self):
        super()._check_params()
        if not check_layer_sizes(self.filters, "filters"):
            raise ValueError("filters must hold at least one number of channels; got ().")
        if self.kernel_size % 2 == 0:
            raise ValueError(
                f"kernel_size must be odd, so that padding keeps images centred; "
                f"got {self.kernel_size}."
            )
        check_image_shape(self.image_shape, "image_shape")

    def _to_rows(self, X, reset):
        ndim = getattr(X, "ndim", None)
        if ndim not in (3, 4) or hasattr(X, "columns"):
            return X, None
        X = np.asarray(X)
        sample_shape = X.shape[1:]
        if not reset and self.image_shape_ is None:
            raise ValueError(
                f"X holds images of shape {sample_shape}, but {type(self).__name__} was "
                f"fitted on rows of {self.n_features_in_} features: pass X of shape "
                f"(n_samples, {self.n_features_in_})."
            )
        if not reset:
            expected = self.image_shape_[1:] if ndim == 3 else self.image_shape_
            if ndim == 3 and self.image_shape_[0] != 1:
                raise ValueError(
                    f"X holds images of shape {sample_shape} without a channel axis, but "
                    f"{type(self).__name__} was fitted on {self.image_shape_[0]} channels; "
                    "pass (n, C, H, W) images."
                )
            if sample_shape != tuple(expected):
                raise ValueError(
                    f"X holds images of shape {sample_shape}, but {type(self).__name__} was "
                    f"fitted on images of shape {tuple(expected)}."
                )
        return X.reshape(len(X), int(np.prod(sample_shape))), sample_shape

    def _resolve_settings(self, X, sample_shape, in_unit_range):
        super()._resolve_settings(X, sample_shape, in_unit_range)
        self.image_shape_ = self._image_shape(X.shape[1], sample_shape)
        self._sample_shape = sample_shape

    def _fitted_layout(self):
        return self._sample_shape

    def _image_shape(self, n_features, sample_shape):
        """``(C, H, W)`` from ``image_shape`` and the training images, or None."""
        return image_shape_from(self.image_shape, "image_shape", n_features, sample_shape, "X")
