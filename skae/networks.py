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
    "DenseAutoencoderNetwork",
    "build_network",
    "initialize_parameters",
    "make_mlp",
]

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


class DenseAutoencoderNetwork(nn.Module):
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
    """

    def __init__(
        self,
        n_features,
        n_components,
        hidden_layer_sizes,
        activation,
        code_activation="identity",
        output_activation="identity",
    ):
        super().__init__()
        hidden = list(hidden_layer_sizes)
        self.encoder = nn.Sequential(
            make_mlp([n_features, *hidden, n_components], activation),
            ACTIVATIONS[code_activation](),
        )
        self.decoder = make_mlp([n_components, *hidden[::-1], n_features], activation)
        self.output_activation = ACTIVATIONS[output_activation]()

    def encode(self, x):
        """Map inputs of shape ``(n, n_features)`` to codes ``(n, n_components)``."""
        return self.encoder(x)

    def decode(self, code):
        """Map codes back to reconstructions of shape ``(n, n_features)``."""
        return self.output_activation(self.decoder(code))

    def forward(self, x):
        """Return ``(output, code)``: the decoder's pre-activation and the code."""
        code = self.encode(x)
        return self.decoder(code), code


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


def build_network(factory, generator, device="cpu"):
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

    Returns
    -------
    torch.nn.Module
    """
    with torch.device("meta"):
        module = factory()
    module = module.to_empty(device="cpu")
    initialize_parameters(module, generator)
    return module.to(device)
