"""Pure PyTorch networks used by the skae estimators.

Nothing in this module knows about scikit-learn or skorch: each network is a
plain :class:`torch.nn.Module` with

* ``encode(X)``: the code;
* ``decode(code)``: the reconstruction, in the data's space;
* ``forward(X)``: a tuple ``(output, code, ...)`` for training, where
  ``output`` is the decoder's *pre-activation*: the reconstruction itself
  when the output activation is the identity, the logits when it is a
  sigmoid. Losses then use the logits forms (``binary_cross_entropy_with_logits``),
  which are exact where the sigmoid saturates and, on the CPU, about 2.5
  times faster than a sigmoid followed by a cross-entropy. Variants may
  append entries (a variational network also returns its mean and
  log-variance).

Networks are built with :func:`build_network`, which creates the parameters
without drawing from torch's global random generator and then initialises
them from an explicit :class:`torch.Generator`. That is what makes a fit
reproducible from one seed while leaving the global random state untouched,
even when several fits run in parallel threads.
"""

import itertools
import math

import torch
from torch import nn

__all__ = [
    "ACTIVATIONS",
    "LOG_VAR_BOUND",
    "ConvAutoencoderNetwork",
    "DenseAutoencoderNetwork",
    "EncoderDecoder",
    "PairedNetwork",
    "VariationalAutoencoderNetwork",
    "build_network",
    "initialize_parameters",
    "make_mlp",
]

LOG_VAR_BOUND = 10.0
"""Bound on the magnitude of a variational encoder's log-variance.

The encoder's raw output ``r`` becomes ``LOG_VAR_BOUND * tanh(r / LOG_VAR_BOUND)``:
the identity near zero, and never beyond ``±10``, so that ``exp(log_var)``
stays between 4.5e-5 and 2.2e4 and neither underflows nor overflows float32,
whatever the scale of the data.
"""

ACTIVATIONS = {
    "identity": nn.Identity,
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}
"""Hidden-layer activations by the name the estimators accept."""


def make_mlp(sizes, activation, *, activate_last=False):
    """Stack ``nn.Linear`` layers of the given widths with activations between.

    Parameters
    ----------
    sizes : sequence of int
        Widths from input to output; ``len(sizes) - 1`` linear layers are made.
    activation : str
        Key of :data:`ACTIVATIONS` used after every layer but the last.
    activate_last : bool, default=False
        Whether the last layer is followed by the activation too.

    Returns
    -------
    torch.nn.Sequential
    """
    layers = []
    n_layers = len(sizes) - 1
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(n_in, n_out))
        if i < n_layers - 1 or activate_last:
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


class EncoderDecoder(nn.Module):
    """What every skae network shares: ``encoder``, ``decoder`` and ``output_activation``.

    A subclass builds the three modules; the decoder returns the
    pre-activation, which :meth:`decode` turns into the reconstruction.
    """

    def encode(self, x):
        """Map input rows ``(n, n_features)`` to codes ``(n, n_components)``."""
        return self.encoder(x)

    def decode(self, code):
        """Map codes back to reconstructed rows ``(n, n_features)``."""
        return self.output_activation(self.decoder(code))

    def forward(self, x):
        """Return ``(output, code)``: the decoder's pre-activation and the code."""
        code = self.encode(x)
        return self.decoder(code), code


class PairedNetwork(EncoderDecoder):
    """An encoder and a decoder of different kinds, for a paired model.

    For example a convolutional encoder of images with a dense decoder to a
    table of targets, or the reverse.

    Parameters
    ----------
    encoder, decoder : torch.nn.Module
        Rows to codes, and codes to the decoder's pre-activation.
    output_activation : str, default="identity"
        See :class:`DenseAutoencoderNetwork`.
    """

    def __init__(self, encoder, decoder, output_activation="identity"):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.output_activation = ACTIVATIONS[output_activation]()


class DenseAutoencoderNetwork(EncoderDecoder):
    """A dense encoder and its mirrored decoder.

    Parameters
    ----------
    n_features : int
        Width of the input and of the reconstruction.
    n_components : int
        Width of the code.
    hidden_layer_sizes : sequence of int
        Encoder hidden widths, from the input towards the code; the decoder
        uses them in reverse order.
    activation : str
        Hidden activation, a key of :data:`ACTIVATIONS`.
    code_activation : str, default="identity"
        Activation applied to the code.
    output_activation : str, default="identity"
        Activation turning the decoder's output into the reconstruction
        ("sigmoid" for data in [0, 1] trained with binary cross-entropy).
        :meth:`decode` applies it; :meth:`forward` returns the output before
        it.
    n_outputs : int or None, default=None
        Width of the decoder's output; None (an autoencoder) is
        ``n_features``. A paired model (:class:`~skae.EncoderDecoderRegressor`)
        maps to targets of another width.
    missing_indicator : bool, default=False
        If True, the network reads rows with missing entries (NaN) itself:
        the encoder sees each missing entry as 0 and, beside the row, its
        indicator of observed entries (``2 * n_features`` inputs), so that
        it tells a missing entry from an observed 0. ``reads_missing`` is
        then True, and skae passes rows to it with their NaN, unfilled.
    """

    def __init__(
        self,
        n_features,
        n_components,
        hidden_layer_sizes,
        activation,
        code_activation="identity",
        output_activation="identity",
        n_outputs=None,
        missing_indicator=False,
    ):
        super().__init__()
        hidden = list(hidden_layer_sizes)
        self.reads_missing = bool(missing_indicator)
        width = 2 * n_features if missing_indicator else n_features
        self.encoder = nn.Sequential(
            make_mlp([width, *hidden, n_components], activation),
            ACTIVATIONS[code_activation](),
        )
        n_outputs = n_features if n_outputs is None else n_outputs
        self.decoder = make_mlp([n_components, *hidden[::-1], n_outputs], activation)
        self.output_activation = ACTIVATIONS[output_activation]()

    def encode(self, x):
        if not self.reads_missing:
            return self.encoder(x)
        observed = ~torch.isnan(x)
        return self.encoder(torch.cat([torch.where(observed, x, 0.0), observed.to(x.dtype)], 1))


def conv_output_size(size, kernel_size, stride):
    """Spatial size after a convolution with ``padding=kernel_size // 2``."""
    return (size + 2 * (kernel_size // 2) - kernel_size) // stride + 1


class ConvAutoencoderNetwork(EncoderDecoder):
    """Strided convolutions down to a dense code, transposed convolutions back up.

    The encoder applies ``Conv2d(filters[i], kernel_size, stride=2)`` layers,
    flattens, and maps to the code with a linear layer. The decoder mirrors
    it: a linear layer, a reshape, ``ConvTranspose2d`` layers with stride 2
    in reverse order of ``filters``, and a last ``ConvTranspose2d`` to the
    input's channels with stride 1. Each transposed convolution's
    ``output_padding`` is chosen from the encoder's sizes, so images of any
    size (odd, or not divisible by the strides) come back at exactly their
    size.

    Inputs and reconstructions are flattened rows of ``C * H * W`` values,
    as scikit-learn passes them; the network reshapes them to images itself.

    Parameters
    ----------
    image_shape : tuple of int
        ``(C, H, W)``.
    n_components : int
        Width of the code.
    filters : sequence of int, default=(32, 64)
        Channels of the encoder's strided convolutions.
    kernel_size : int, default=3
        An odd kernel size; padding is ``kernel_size // 2``.
    activation : str, default="relu"
        Key of :data:`ACTIVATIONS`, used after every convolution and after
        the decoder's linear layer.
    output_activation : str, default="identity"
        See :class:`DenseAutoencoderNetwork`.
    output_shape : tuple of int or None, default=None
        ``(C', H', W')`` of the output images; None (an autoencoder) is
        ``image_shape``. A paired model may map one channel to three
        (colorization) or small images to large ones (super-resolution):
        when ``(H', W')`` differs from ``(H, W)``, the encoder first resizes
        its input to ``(H', W')`` by bilinear interpolation, and the
        convolutions run at that size.
    skip_connections : bool, default=False
        If True, a small U-Net: each transposed convolution of the decoder
        also sees the encoder's feature map of its size (the input image
        for the last one), concatenated to its input, so that detail need
        not pass through the dense code. :meth:`decode` then has nothing to
        concatenate and raises; :meth:`forward` is the whole network.
    """

    def __init__(
        self,
        image_shape,
        n_components,
        filters=(32, 64),
        kernel_size=3,
        activation="relu",
        output_activation="identity",
        output_shape=None,
        skip_connections=False,
    ):
        super().__init__()
        self.image_shape = tuple(image_shape)
        self.skip_connections = bool(skip_connections)
        out_channels, height, width = self.image_shape if output_shape is None else output_shape
        channels = self.image_shape[0]
        resize = []
        if (height, width) != self.image_shape[1:]:
            resize = [
                nn.Unflatten(1, self.image_shape),
                nn.Upsample(size=(height, width), mode="bilinear"),
                nn.Flatten(),
            ]
        filters = list(filters)
        sizes = [(height, width)]
        encoder = []
        for n_in, n_out in itertools.pairwise([channels, *filters]):
            encoder += [nn.Conv2d(n_in, n_out, kernel_size, 2, kernel_size // 2)]
            encoder += [ACTIVATIONS[activation]()]
            h, w = sizes[-1]
            sizes.append((conv_output_size(h, kernel_size, 2), conv_output_size(w, kernel_size, 2)))
        inner = (filters[-1], *sizes[-1]) if filters else (channels, height, width)
        flat = inner[0] * inner[1] * inner[2]
        self.encoder = nn.Sequential(
            *resize,
            nn.Unflatten(1, (channels, height, width)),
            *encoder,
            nn.Flatten(),
            nn.Linear(flat, n_components),
        )
        # the encoder's layers after which forward keeps the map for a skip connection
        image = len(resize)
        self.skip_points = {image, *range(image + 2, image + 1 + len(encoder), 2)}

        decoder = [nn.Linear(n_components, flat), ACTIVATIONS[activation](), nn.Unflatten(1, inner)]
        outs = filters[::-1]
        ins = [inner[0], *outs[:-1]]
        # with skip connections, each transposed convolution also reads the encoder's
        # map of its input's size: its features, deepest first, then the input image
        skipped = [*filters[::-1], channels] if self.skip_connections else [0] * (len(ins) + 1)
        for i, (n_in, n_out) in enumerate(zip(ins, outs)):
            (h_in, w_in), (h_out, w_out) = sizes[-1 - i], sizes[-2 - i]
            padding = (h_out - (2 * h_in - 1), w_out - (2 * w_in - 1))
            decoder += [
                nn.ConvTranspose2d(
                    n_in + skipped[i],
                    n_out,
                    kernel_size,
                    2,
                    kernel_size // 2,
                    output_padding=padding,
                ),
                ACTIVATIONS[activation](),
            ]
        last = (filters[0] if filters else channels) + skipped[-1]
        decoder.append(nn.ConvTranspose2d(last, out_channels, kernel_size, 1, kernel_size // 2))
        decoder.append(nn.Flatten())
        self.decoder = nn.Sequential(*decoder)
        self.output_activation = ACTIVATIONS[output_activation]()

    def decode(self, code):
        if self.skip_connections:
            raise ValueError(
                "A network with skip_connections=True decodes from the encoder's feature "
                "maps as well as the code: call forward(X) on the input instead."
            )
        return super().decode(code)

    def forward(self, x):
        if not self.skip_connections:
            return super().forward(x)
        # the encoder, keeping the image and every activated feature map
        maps, h = [], x
        for i, layer in enumerate(self.encoder):
            h = layer(h)
            if i in self.skip_points:
                maps.append(h)
        code = h
        for layer in self.decoder:
            if isinstance(layer, nn.ConvTranspose2d):
                h = torch.cat([h, maps.pop()], dim=1)
            h = layer(h)
        return h, code


class VariationalAutoencoderNetwork(EncoderDecoder):
    """A Gaussian encoder ``q(z | x)`` and a decoder ``p(x | z)``.

    The encoder maps each input to the mean and the log-variance of a
    diagonal Gaussian over the ``n_components`` latent variables; the
    decoder maps a latent point to the output. Build one from the dense or
    the convolutional shape with :meth:`dense` or :meth:`convolutional`.

    Parameters
    ----------
    encoder : torch.nn.Module
        Maps ``(n, n_features)`` rows to ``(n, 2 * n_components)``: the
        means, then the raw log-variances (bounded here, see
        :data:`LOG_VAR_BOUND`).
    decoder : torch.nn.Module
        Maps ``(n, n_components)`` latent points to the decoder's
        pre-activation, ``(n, n_features)``.
    output_activation : str, default="identity"
        See :class:`DenseAutoencoderNetwork`.

    Attributes
    ----------
    generator : torch.Generator or None
        Source of the reparameterisation noise while training; None draws
        from torch's global generator. The estimators set a seeded one.
    """

    def __init__(self, encoder, decoder, output_activation="identity"):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.output_activation = ACTIVATIONS[output_activation]()
        self.generator = None

    @classmethod
    def dense(cls, n_features, n_components, hidden_layer_sizes, activation, **kwargs):
        """Dense encoder and mirrored decoder, as :class:`DenseAutoencoderNetwork`."""
        hidden = list(hidden_layer_sizes)
        encoder = make_mlp([n_features, *hidden, 2 * n_components], activation)
        decoder = make_mlp([n_components, *hidden[::-1], n_features], activation)
        return cls(encoder, decoder, **kwargs)

    @classmethod
    def convolutional(
        cls, image_shape, n_components, filters=(32, 64), kernel_size=3, activation="relu", **kwargs
    ):
        """Convolutional encoder and decoder, as :class:`ConvAutoencoderNetwork`."""
        encoder = ConvAutoencoderNetwork(
            image_shape, 2 * n_components, filters, kernel_size, activation
        ).encoder
        decoder = ConvAutoencoderNetwork(
            image_shape, n_components, filters, kernel_size, activation
        ).decoder
        return cls(encoder, decoder, **kwargs)

    def encode_distribution(self, x):
        """Return ``(mean, log_var)`` of ``q(z | x)``, each ``(n, n_components)``."""
        mean, raw = self.encoder(x).chunk(2, dim=1)
        return mean, LOG_VAR_BOUND * torch.tanh(raw / LOG_VAR_BOUND)

    def encode(self, x):
        """The posterior mean: a deterministic code."""
        return self.encode_distribution(x)[0]

    def forward(self, x):
        """Return ``(output, mean, log_var)``.

        In training mode the decoder's pre-activation ``output`` is computed
        at ``z = mean + exp(log_var / 2) * eps``, ``eps`` standard normal
        drawn from :attr:`generator` (the reparameterisation trick); in
        evaluation mode at ``z = mean``.
        """
        mean, log_var = self.encode_distribution(x)
        z = mean
        if self.training:
            eps = torch.randn(
                mean.shape, generator=self.generator, dtype=mean.dtype, device=mean.device
            )
            z = mean + torch.exp(0.5 * log_var) * eps
        return self.decoder(z), mean, log_var


def initialize_parameters(module, generator):
    """Initialise every layer of ``module`` from ``generator``.

    Linear and convolutional layers get PyTorch's own default initialisation
    (Kaiming-uniform weights, uniform biases in ``±1/sqrt(fan_in)``), drawn
    from ``generator`` instead of the global random state. Other layers with
    a ``reset_parameters`` method (normalisation layers) are reset, which uses
    no randomness.

    Parameters
    ----------
    module : torch.nn.Module
    generator : torch.Generator

    Returns
    -------
    module : torch.nn.Module
        The same module, initialised in place.
    """
    weighted = (nn.Linear, nn.modules.conv._ConvNd)
    with torch.no_grad():
        for layer in module.modules():
            if isinstance(layer, weighted):
                nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
                if layer.bias is not None:
                    fan_in, _ = nn.init._calculate_fan_in_and_fan_out(layer.weight)
                    bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
                    nn.init.uniform_(layer.bias, -bound, bound, generator=generator)
            elif layer is not module and hasattr(layer, "reset_parameters"):
                layer.reset_parameters()
    return module


def build_network(factory, generator, device="cpu", expected_shapes=None):
    """Build ``factory()`` on ``device`` with parameters drawn from ``generator``.

    The module is first created on PyTorch's ``meta`` device, where no memory
    is allocated and no random number is drawn, then materialised on
    ``device`` and initialised by :func:`initialize_parameters`.

    Parameters
    ----------
    factory : callable
        Returns a new ``torch.nn.Module``.
    generator : torch.Generator
        Source of the initial weights (a CPU generator).
    device : str or torch.device, default="cpu"
    expected_shapes : dict of str to tuple, optional
        The shape of every entry of the module's ``state_dict`` (the saved
        weights a loaded estimator is about to receive). Checked on the
        ``meta`` device, before any memory is allocated: a mismatch raises
        a ``ValueError``.

    Returns
    -------
    torch.nn.Module
    """
    with torch.device("meta"):
        module = factory()
    if expected_shapes is not None:
        shapes = {name: tuple(value.shape) for name, value in module.state_dict().items()}
        expected = {name: tuple(shape) for name, shape in expected_shapes.items()}
        if shapes != expected:
            wrong = sorted(set(shapes).symmetric_difference(expected)) or sorted(
                name for name in shapes if shapes[name] != expected[name]
            )
            raise ValueError(
                "The saved weights do not fit the network that the saved parameters "
                f"describe (entries {wrong[:5]} differ): the file is damaged or was "
                "altered. Nothing was allocated."
            )
    module = module.to_empty(device="cpu")
    initialize_parameters(module, generator)
    return module.to(device)
