"""The convolutional autoencoder, for images."""

from functools import partial
from numbers import Integral

import numpy as np

from ._base import BaseAutoencoder
from ._denoising import DenoisingMixin
from ._validation import Interval, StrOptions, check_layer_sizes
from .networks import ACTIVATIONS, ConvAutoencoderNetwork

__all__ = ["ConvAutoencoder", "ImageLayoutMixin"]


class ImageLayoutMixin:
    """Images in, images out, for estimators with an ``image_shape`` parameter.

    Accepts ``(n, H, W)`` and ``(n, C, H, W)`` arrays besides 2-D rows,
    flattens them before validation and remembers the layout, so that
    outputs in the input space come back as images. Shared by
    :class:`ConvAutoencoder` and the image mode of the variational
    autoencoder.
    """

    def _to_rows(self, X, reset):
        ndim = getattr(X, "ndim", None)
        if ndim not in (3, 4) or hasattr(X, "columns"):
            return X, None
        X = np.asarray(X)
        sample_shape = X.shape[1:]
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
        return X.reshape(len(X), -1), sample_shape

    def _resolve_image_shape(self, n_features):
        """Return ``(C, H, W)`` from ``image_shape`` and the training data, or None."""
        fitted_images = self._sample_shape
        if fitted_images is not None:
            from_data = (1, *fitted_images) if len(fitted_images) == 2 else tuple(fitted_images)
        else:
            from_data = None
        if self.image_shape is None:
            return from_data
        shape = check_layer_sizes(self.image_shape, "image_shape")
        if len(shape) != 3:
            raise ValueError(
                f"image_shape must be (channels, height, width), three positive integers; "
                f"got {self.image_shape!r}."
            )
        if from_data is not None and from_data != shape:
            raise ValueError(
                f"image_shape={shape} does not match the images given, of shape "
                f"{tuple(fitted_images)}."
            )
        if shape[0] * shape[1] * shape[2] != n_features:
            raise ValueError(
                f"image_shape={shape} needs rows of {shape[0] * shape[1] * shape[2]} values, "
                f"but X has {n_features} features."
            )
        return shape


class ConvAutoencoder(ImageLayoutMixin, DenoisingMixin, BaseAutoencoder):
    """Convolutional autoencoder for images: a transformer and an outlier detector.

    The encoder applies strided ``Conv2d`` layers and a dense layer to the
    code; the decoder mirrors it with a dense layer and ``ConvTranspose2d``
    layers. The default shape is the Keras convolutional autoencoder
    tutorial's: Conv2d(32, 3x3, stride 2), Conv2d(64, 3x3, stride 2), dense
    code; dense, ConvTranspose2d(64), ConvTranspose2d(32), ConvTranspose2d(C).
    Images of any size come back at exactly their size.

    It takes images as ``(n, H, W)`` or ``(n, C, H, W)`` arrays, or as
    flattened rows of ``C * H * W`` values with ``image_shape`` (as a
    Pipeline passes them after a scaler). :meth:`inverse_transform` returns
    the layout :meth:`fit` was given; :meth:`reconstruct` and per-pixel
    :meth:`reconstruction_error` return the layout they are given. With
    ``noise``, it trains as a convolutional denoising autoencoder, with the
    same options as :class:`DenoisingAutoencoder`.

    Read more in the :doc:`user guide </user_guide>`.

    Parameters
    ----------
    n_components : int or "auto", default="auto"
        Size of the code. ``"auto"`` uses ``max(1, round(sqrt(C * H * W)))``.

    image_shape : tuple of 3 ints or None, default=None
        ``(C, H, W)``. Required for flattened rows; taken from the data when
        images are given. Rows without ``image_shape`` are treated as
        one-channel images one pixel high, so the convolutions run along the
        features.

    filters : array-like of int, default=(32, 64)
        Channels of the encoder's stride-2 convolutions.

    kernel_size : int, default=3
        Odd size of every convolution kernel.

    activation : {"relu", "leaky_relu", "elu", "gelu", "tanh", "sigmoid", \
"identity"}, default="relu"

    noise : {"gaussian", "masking", "salt_pepper"} or None, default=None
        Corruption of the training images; see :class:`DenoisingAutoencoder`.

    noise_level : float, default=0.2

    loss, batch_size, max_iter, learning_rate_init, alpha, tol, \
early_stopping, validation_fraction, n_iter_no_change, contamination, \
warm_start, random_state, verbose, device, callbacks
        As in :class:`Autoencoder`.

    Attributes
    ----------
    image_shape_ : tuple of int
        The ``(C, H, W)`` trained on.

    n_components_, loss_, n_iter_, loss_curve_, validation_scores_, \
best_validation_score_, offset_, net_, n_features_in_, feature_names_in_
        As in :class:`Autoencoder`; ``n_features_in_`` is ``C * H * W``.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import ConvAutoencoder
    >>> images = load_digits().images / 16          # (1797, 8, 8)
    >>> conv = ConvAutoencoder(8, filters=(8, 16), tol=0.05, random_state=0).fit(images)
    >>> conv.image_shape_
    (1, 8, 8)
    >>> conv.transform(images).shape
    (1797, 8)
    >>> conv.inverse_transform(conv.transform(images)).shape
    (1797, 8, 8)
    """

    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        **DenoisingMixin._noise_constraints,
        "image_shape": ["array-like", None],
        "filters": ["array-like"],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
    }

    def __init__(
        self,
        n_components="auto",
        *,
        image_shape=None,
        filters=(32, 64),
        kernel_size=3,
        activation="relu",
        noise=None,
        noise_level=0.2,
        loss="auto",
        batch_size="auto",
        max_iter=200,
        learning_rate_init=1e-3,
        alpha=1e-4,
        tol=1e-4,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        contamination="auto",
        warm_start=False,
        random_state=None,
        verbose=0,
        device="cpu",
        callbacks=None,
    ):
        super().__init__(
            n_components,
            loss=loss,
            batch_size=batch_size,
            max_iter=max_iter,
            learning_rate_init=learning_rate_init,
            alpha=alpha,
            tol=tol,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            contamination=contamination,
            warm_start=warm_start,
            random_state=random_state,
            verbose=verbose,
            device=device,
            callbacks=callbacks,
        )
        self.image_shape = image_shape
        self.filters = filters
        self.kernel_size = kernel_size
        self.activation = activation
        self.noise = noise
        self.noise_level = noise_level

    def _make_network(self, n_features):
        self.image_shape_ = self._resolve_image_shape(n_features) or (1, 1, n_features)
        filters = check_layer_sizes(self.filters, "filters")
        if not filters:
            raise ValueError("filters must hold at least one number of channels; got ().")
        if self.kernel_size % 2 == 0:
            raise ValueError(
                f"kernel_size must be odd, so that padding keeps images centred; "
                f"got {self.kernel_size}."
            )
        return partial(
            ConvAutoencoderNetwork,
            self.image_shape_,
            self.n_components_,
            filters,
            self.kernel_size,
            self.activation,
            output_activation=self._output_activation,
        )
