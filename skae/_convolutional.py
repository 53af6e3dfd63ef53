"""The convolutional autoencoder, for images."""

from functools import partial

from ._base import BaseAutoencoder
from ._docs import fill_doc
from ._mixins import DenoisingMixin, ImageLayoutMixin
from ._validation import check_layer_sizes
from .networks import ConvAutoencoderNetwork

__all__ = ["ConvAutoencoder"]


@fill_doc
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

    %(conv_network)s

    noise : {"gaussian", "masking", "salt_pepper"} or None, default=None
        Corruption of the training images, as in
        :class:`DenoisingAutoencoder`: ``"gaussian"`` adds normal noise of
        standard deviation ``noise_level`` (clipped to [0, 1] when the loss
        is ``"bce"``), ``"masking"`` sets each pixel to 0 with probability
        ``noise_level``, ``"salt_pepper"`` sets it to its minimum or maximum
        over the training images. None trains on clean images.

    %(noise)s

    %(loss)s

    %(image_parameters)s

    Attributes
    ----------
    image_shape_ : tuple of int
        The ``(C, H, W)`` trained on; ``n_features_in_`` is ``C * H * W``.

    %(fitted)s

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
        **ImageLayoutMixin._image_constraints,
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
        tol=1e-2,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        contamination="auto",
        warm_start=False,
        random_state=None,
        verbose=0,
        device="cpu",
        n_threads="auto",
        callbacks=None,
    ):
        self._store_params(locals())

    def _image_shape(self, n_features, sample_shape):
        # rows without image_shape: one-channel images one pixel high
        return super()._image_shape(n_features, sample_shape) or (1, 1, n_features)

    def _make_network(self, n_features):
        return partial(
            ConvAutoencoderNetwork,
            self.image_shape_,
            self.n_components_,
            check_layer_sizes(self.filters, "filters"),
            self.kernel_size,
            self.activation,
            output_activation=self._output_activation,
        )
