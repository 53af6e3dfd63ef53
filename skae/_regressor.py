"""The paired encoder-decoder: a regressor that learns to map X to Y."""

import math
from functools import partial
from numbers import Integral

import numpy as np
import torch
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score

from . import _inference
from ._docs import fill_doc
from ._estimator import BaseEncoderDecoder
from ._mixins import ImageLayoutMixin, check_image_shape, image_shape_from
from ._validation import (
    FLOAT_DTYPES,
    Interval,
    StrOptions,
    _columns,
    _fit_context,
    as_array_input,
    check_array,
    check_layer_sizes,
    check_missing,
)
from .networks import (
    ACTIVATIONS,
    ConvAutoencoderNetwork,
    DenseAutoencoderNetwork,
    PairedNetwork,
    make_mlp,
)

__all__ = ["EncoderDecoderRegressor"]


@fill_doc
class EncoderDecoderRegressor(ImageLayoutMixin, RegressorMixin, BaseEncoderDecoder):
    """Encoder-decoder trained on pairs: a regressor from X to Y, and a transformer.

    Where an autoencoder reconstructs its own input, this model learns to
    map each sample of ``X`` to its partner in ``y``: a grayscale image to
    its colours, a damaged image to the intact one, a small image to a large
    one, a real noisy scan to its clean version, or a table to another. The
    encoder maps ``X`` to a code of ``n_components`` numbers
    (:meth:`transform`); the decoder maps the code to ``y``'s space
    (:meth:`predict`).

    Each side takes the layout of its data. Tables (2-D rows without
    ``image_shape`` or ``target_shape``) get dense layers; images, given as
    ``(n, H, W)`` or ``(n, C, H, W)`` arrays or as flattened rows with
    ``image_shape`` (for ``X``) and ``target_shape`` (for ``y``), get the
    convolutions of :class:`ConvAutoencoder`. ``X`` and ``y`` images may
    differ in channels (1 -> 3 for colorization) and in height and width
    (14 x 14 -> 28 x 28 for super-resolution): the network then resizes
    ``X`` to ``y``'s height and width (bilinear) before its convolutions.

    Training runs in `skorch <https://skorch.readthedocs.io>`_ with the Adam
    optimizer, on mini-batches in float32, with the autoencoders' training
    parameters, stopping rule, divergence handling and persistence.

    Read more in the :doc:`user guide </user_guide>`.

    Parameters
    ----------
    n_components : int or "auto", default="auto"
        Size of the code. ``"auto"`` uses ``max(1, round(sqrt(n_features)))``.

    image_shape : tuple of 3 ints or None, default=None
        ``(C, H, W)`` of ``X``'s images when they are given as flattened
        rows (as a Pipeline passes them after a scaler); taken from the data
        when ``X`` holds images. None with 2-D ``X``: a table, encoded by
        dense layers.

    target_shape : tuple of 3 ints or None, default=None
        ``(C, H, W)`` of ``y``'s images when they are given as flattened
        rows; taken from the data when ``y`` holds images. None with 1-D or
        2-D ``y``: a table of targets, decoded by dense layers.

    hidden_layer_sizes : int or array-like of int, default=(64,)
        Widths of the dense hidden layers, from a table ``X`` towards the
        code; the dense decoder to a table ``y`` uses them in reverse order.
        Not used by a convolutional side.

    filters : array-like of int, default=(32, 64)
        Channels of the stride-2 convolutions of an image side; the
        decoder's transposed convolutions mirror them.

    kernel_size : int, default=3
        Odd size of every convolution kernel.

    activation : {"relu", "leaky_relu", "elu", "gelu", "tanh", "sigmoid", \
"identity"}, default="relu"
        Activation of the hidden layers.

    skip_connections : bool or "auto", default="auto"
        Whether, with images on both sides, the network is a small U-Net:
        each transposed convolution of the decoder also sees the encoder's
        feature map of the same size (and the last one, the resized input
        image), so that detail reaches the output without passing through
        the code. ``"auto"`` is True when ``X`` and ``y`` are both images
        and False otherwise. On MNIST with 5 epochs, skip connections raised
        the PSNR by 0.9 dB (inpainting), 8.8 dB (super-resolution) and
        1.9 dB (denoising), for 1.2 to 1.7 times the fit time (see
        the benchmark page). The code of :meth:`transform` is the same
        dense code either way. The choice is ``skip_connections_``.

    loss : {"auto", "mse", "bce"}, default="auto"
        Training loss between the predictions and ``y``. ``"mse"`` is the
        mean squared error. ``"bce"`` is the binary cross-entropy with a
        sigmoid output, for targets in [0, 1] such as pixel intensities.
        ``"auto"`` picks ``"bce"`` when the training targets lie in [0, 1]
        and ``"mse"`` otherwise; the choice is stored in ``loss_``.

    %(training)s

    %(running)s

    Attributes
    ----------
    n_targets_ : int
        Number of target values of one sample (``C * H * W`` for images).

    target_shape_ : tuple of int or None
        The ``(C, H, W)`` of ``y``'s images, or None for a table.

    image_shape_ : tuple of int or None
        The ``(C, H, W)`` of ``X``'s images, or None for a table.

    skip_connections_ : bool
        Whether the network has skip connections (see ``skip_connections``).

    n_components_ : int
        Size of the code.

    loss_ : {"mse", "bce"}
        The loss trained with.

    %(training_history)s

    %(fitted_net)s

    See Also
    --------
    ConvAutoencoder : Reconstructs its own (possibly corrupted) images.
    sklearn.neural_network.MLPRegressor : A dense regressor without a code.
    sklearn.linear_model.Ridge : The linear map, a strong baseline on pixels.

    Notes
    -----
    Missing entries (NaN) in ``X`` are seen by the network at
    ``fill_values_``; missing entries in ``y`` are left out of the loss. A
    sample whose targets are all missing, or a target never observed, is
    refused.

    :meth:`score` is the coefficient of determination R² averaged over all
    target values (every pixel of an image target), as
    ``sklearn.multioutput.MultiOutputRegressor`` computes it; for images,
    the benchmark page also gives the PSNR.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import EncoderDecoderRegressor
    >>> images = load_digits().images / 16              # (1797, 8, 8)
    >>> damaged = images.copy()
    >>> damaged[:, 4:] = 0                              # the lower half lost
    >>> model = EncoderDecoderRegressor(filters=(8, 16), max_iter=20, random_state=0)
    >>> model = model.fit(damaged, images)
    >>> model.predict(damaged[:3]).shape
    (3, 8, 8)
    >>> model.transform(damaged[:3]).shape
    (3, 8)
    """

    _parameter_constraints: dict = {
        **BaseEncoderDecoder._parameter_constraints,
        **ImageLayoutMixin._image_constraints,
        "target_shape": ["array-like", None],
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "skip_connections": ["boolean", StrOptions({"auto"})],
    }

    def __init__(
        self,
        n_components="auto",
        *,
        image_shape=None,
        target_shape=None,
        hidden_layer_sizes=(64,),
        filters=(32, 64),
        kernel_size=3,
        activation="relu",
        skip_connections="auto",
        loss="auto",
        batch_size="auto",
        max_iter=200,
        learning_rate_init=1e-3,
        alpha=1e-4,
        tol=1e-2,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        warm_start=False,
        random_state=None,
        verbose=0,
        device="cpu",
        n_threads="auto",
        callbacks=None,
    ):
        self._store_params(locals())

    # ------------------------------------------------------------------
    # Training

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the encoder-decoder to map ``X`` to ``y``.

        A fit that raises, or is interrupted with Ctrl-C before it completes
        an epoch, leaves the estimator as it was.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), (n_samples, H, W) \
or (n_samples, C, H, W)
            Inputs: a table or images.
        y : array-like of shape (n_samples,), (n_samples, n_targets), \
(n_samples, H, W) or (n_samples, C, H, W)
            Targets, one per sample of ``X``: a table or images.
            :meth:`predict` returns this layout.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, partial=False, y=y)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y):
        """Train for one epoch on the pairs ``(X, y)``, keeping what was learned before.

        The first call initialises the network from these pairs; later calls
        continue with the same weights and optimizer state, so pairs too
        many for memory train chunk by chunk. Early stopping does not apply.

        Parameters
        ----------
        X : array-like
            A chunk of inputs, as :meth:`fit` takes them.
        y : array-like
            Their targets.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, partial=True, y=y)

    def _check_params(self):
        super()._check_params()
        check_layer_sizes(self.hidden_layer_sizes, "hidden_layer_sizes")
        check_image_shape(self.target_shape, "target_shape")

    def _validated_targets(self, y, X, reset):
        Y, layout = self._target_rows(y, reset)
        if len(Y) != len(X):
            raise ValueError(
                f"X and y must have the same number of samples; X has {len(X)} and y has "
                f"{len(Y)} (y of shape {layout['given']})."
            )
        check_missing(Y, "y", layout["columns"], fit=True)
        if reset:
            self.n_targets_ = Y.shape[1]
            self.target_shape_ = layout["image"]
            self._target_layout = layout["sample"]
        return Y

    def _target_rows(self, y, reset):
        """``y`` as validated 2-D rows, and how it was laid out."""
        name = type(self).__name__
        if y is None:
            raise ValueError(
                f"{name} requires y to be passed, but the target y is None: fit(X, y) "
                "learns to map each sample of X to its target in y."
            )
        columns = _columns(y)
        Y = as_array_input(y)
        try:
            Y = check_array(
                Y,
                dtype=list(FLOAT_DTYPES),
                ensure_all_finite=False,
                ensure_2d=False,
                allow_nd=True,
                input_name="y",
            )
        except ValueError as error:
            if "convert" in str(error) or "could not" in str(error):
                raise TypeError(
                    f"y has non-numeric values; {name} needs numeric targets ({error})."
                ) from None
            raise
        given = Y.shape
        if Y.ndim not in (1, 2, 3, 4):
            raise ValueError(
                f"y must be 1-D or 2-D targets, or images of shape (n, H, W) or (n, C, H, W); "
                f"got an array of shape {given}."
            )
        sample = Y.shape[1:]
        if Y.ndim == 1 and self.target_shape is not None:
            raise ValueError(
                f"target_shape={tuple(self.target_shape)} describes image targets, but y is "
                f"1-D, of shape {given}."
            )
        n_values = math.prod(sample)
        image = image_shape_from(
            self.target_shape, "target_shape", n_values, sample if Y.ndim >= 3 else None, "y"
        )
        Y = Y.reshape(len(Y), -1) if Y.ndim != 2 else Y
        if not reset and (Y.shape[1] != self.n_targets_ or sample != self._target_layout):
            raise ValueError(
                f"y has shape {given}, but {name} was fitted on targets of shape "
                f"(n_samples, {', '.join(map(str, self._target_layout))})"
                if self._target_layout
                else f"y has shape {given}, but {name} was fitted on 1-D targets."
            )
        if len(Y) == 0:
            raise ValueError(f"y has 0 samples, of shape {given}; {name} needs at least one.")
        return Y, {"given": given, "sample": sample, "image": image, "columns": columns}

    def _resolve_settings(self, X, sample_shape, in_unit_range):
        super()._resolve_settings(X, sample_shape, in_unit_range)
        images = self.image_shape_ is not None and self.target_shape_ is not None
        self.skip_connections_ = (
            images if self.skip_connections == "auto" else self.skip_connections
        )
        if self.skip_connections_ and not images:
            raise ValueError(
                "skip_connections=True joins the feature maps of images of the same size, "
                "so it needs images on both sides: X as images or with image_shape, and y "
                f"as images or with target_shape; got X {self._side(self.image_shape_)} "
                f"and y {self._side(self.target_shape_)}."
            )

    @staticmethod
    def _side(shape):
        return "as a table" if shape is None else f"as images of shape {shape}"

    def _make_network(self, n_features):
        k = self.n_components_
        hidden = check_layer_sizes(self.hidden_layer_sizes, "hidden_layer_sizes")
        conv = dict(
            filters=check_layer_sizes(self.filters, "filters"),
            kernel_size=self.kernel_size,
            activation=self.activation,
        )
        X_image, Y_image = self.image_shape_, self.target_shape_
        if X_image is not None and Y_image is not None:
            return partial(
                ConvAutoencoderNetwork,
                X_image,
                k,
                **conv,
                output_activation=self._output_activation,
                output_shape=Y_image,
                skip_connections=self.skip_connections_,
            )
        if X_image is None and Y_image is None:
            return partial(
                DenseAutoencoderNetwork,
                n_features,
                k,
                hidden,
                self.activation,
                output_activation=self._output_activation,
                n_outputs=self.n_targets_,
            )
        return partial(
            _mixed_network,
            X_image,
            Y_image,
            n_features,
            self.n_targets_,
            k,
            hidden,
            conv,
            self._output_activation,
        )

    def _calibrate(self, net, rows, dtype):
        """Whether the trained network's predictions on the training rows are finite.

        One flag per row, so that the pass holds no copy of the predictions.
        """
        finite = self._map(rows, _finite_predictions, (), net=net, dtype=np.float32)
        return True if finite.all() else None

    # ------------------------------------------------------------------
    # Inference

    def predict(self, X):
        """Predict the targets of ``X``.

        Parameters
        ----------
        X : array-like
            Inputs, in a layout :meth:`fit` accepts.

        Returns
        -------
        y_pred : ndarray
            In the layout of the ``y`` given to :meth:`fit`: ``(n_samples,)``,
            ``(n_samples, n_targets)``, ``(n_samples, H, W)`` or
            ``(n_samples, C, H, W)``. Same float dtype as ``X`` (float64 for
            integer input).
        """
        Xv, _ = self._check_inference_input(X)
        predictions = self._map(Xv, _inference.predict, (self.n_targets_,), check_finite_rows=True)
        return predictions.reshape(len(predictions), *self._target_layout)

    def score(self, X, y):
        """Coefficient of determination R² of the predictions, averaged over all targets.

        Every target value (every pixel of an image target) is one output,
        and the R² of the outputs are averaged with equal weights, as
        ``MultiOutputRegressor.score`` does.

        Parameters
        ----------
        X : array-like
            Inputs.
        y : array-like
            Their true targets, in the layout :meth:`fit` was given.

        Returns
        -------
        score : float
            R² of ``self.predict(X)`` against ``y``; 1 is perfect.
        """
        predictions = self.predict(X)
        predictions = predictions.reshape(len(predictions), -1)
        Y = self._validated_targets(y, predictions, reset=False)
        return float(r2_score(Y, predictions))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags


def _finite_predictions(module, X, fill=None):
    """1 for each row whose predictions are all finite, else 0."""
    return torch.isfinite(_inference.predict(module, X, fill)).all(dim=1).float()


def _mixed_network(
    X_image, Y_image, n_features, n_targets, n_components, hidden, conv, output_activation
):
    """Images on one side and a table on the other: a convolutional and a dense half."""
    if X_image is not None:
        encoder = ConvAutoencoderNetwork(X_image, n_components, **conv).encoder
        decoder = make_mlp([n_components, *hidden[::-1], n_targets], conv["activation"])
    else:
        encoder = make_mlp([n_features, *hidden, n_components], conv["activation"])
        decoder = ConvAutoencoderNetwork(Y_image, n_components, **conv).decoder
    return PairedNetwork(encoder, decoder, output_activation)
