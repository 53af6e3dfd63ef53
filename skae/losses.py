"""Pure PyTorch loss functions and criteria used by the skae estimators.

A *criterion* is an ``nn.Module`` called as ``criterion(output, X)``, where
``output`` is the tuple a network's ``forward`` returns (the decoder's
pre-activation first, the code second; see :mod:`skae.networks`) and ``X`` is
the clean input. Variants that add a
penalty to the reconstruction loss subclass :class:`ReconstructionLoss`.
Nothing here imports scikit-learn or skorch.
"""

from torch import nn
from torch.nn import functional as F

__all__ = [
    "RECONSTRUCTION_LOSSES",
    "ReconstructionLoss",
    "reconstruction_loss",
    "squared_error",
]

RECONSTRUCTION_LOSSES = ("mse", "bce")


def squared_error(reconstruction, target):
    """Element-wise squared error, with the shape of ``target``."""
    return (reconstruction - target).square()


def reconstruction_loss(output, target, kind="mse"):
    """Mean reconstruction loss over every element of a batch.

    Parameters
    ----------
    output : torch.Tensor
        The decoder's pre-activation: the reconstruction for ``"mse"``, the
        logits of the reconstruction for ``"bce"``.
    target : torch.Tensor
        Clean input, same shape as ``output``; in [0, 1] for ``"bce"``.
    kind : {"mse", "bce"}, default="mse"
        ``"mse"`` is the mean squared error; ``"bce"`` the mean binary
        cross-entropy between ``sigmoid(output)`` and ``target``, computed
        from the logits, so it stays exact where the sigmoid saturates.

    Returns
    -------
    torch.Tensor
        A scalar.
    """
    if kind == "mse":
        return F.mse_loss(output, target)
    if kind == "bce":
        return F.binary_cross_entropy_with_logits(output, target)
    raise ValueError(f"kind must be one of {RECONSTRUCTION_LOSSES}, got {kind!r}.")


class ReconstructionLoss(nn.Module):
    """Criterion comparing a network's reconstruction with its clean input.

    Parameters
    ----------
    kind : {"mse", "bce"}, default="mse"
        See :func:`reconstruction_loss`.
    """

    def __init__(self, kind="mse"):
        super().__init__()
        if kind not in RECONSTRUCTION_LOSSES:
            raise ValueError(f"kind must be one of {RECONSTRUCTION_LOSSES}, got {kind!r}.")
        self.kind = kind

    def forward(self, output, target):
        return reconstruction_loss(output[0], target, self.kind)
