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
    "SPARSITY_PENALTIES",
    "ReconstructionLoss",
    "SparseReconstructionLoss",
    "kl_sparsity_penalty",
    "l1_activity_penalty",
    "reconstruction_loss",
    "squared_error",
]

RECONSTRUCTION_LOSSES = ("mse", "bce")
SPARSITY_PENALTIES = ("l1", "kl")
_EPS = 1e-6


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


def l1_activity_penalty(code):
    """L1 activity penalty: the sum of absolute code values, averaged over the batch.

    This is what Keras' ``activity_regularizer=l1(w)`` adds to the loss,
    divided by its weight ``w``.
    """
    return code.abs().sum(dim=1).mean()


def kl_sparsity_penalty(code, target):
    """KL sparsity penalty on code activations in (0, 1).

    ``sum_j KL(target || rho_j)`` where ``rho_j`` is the mean activation of
    code unit ``j`` over the batch, and ``KL(p || q) = p log(p / q) +
    (1 - p) log((1 - p) / (1 - q))`` is the divergence between Bernoulli
    distributions (Ng's sparse autoencoder notes). ``rho_j`` is clamped
    away from 0 and 1 so the penalty stays finite.
    """
    rho = code.mean(dim=0).clamp(_EPS, 1 - _EPS)
    return (target * (target / rho).log() + (1 - target) * ((1 - target) / (1 - rho)).log()).sum()


class SparseReconstructionLoss(ReconstructionLoss):
    """Reconstruction loss plus a sparsity penalty on the code.

    Parameters
    ----------
    kind : {"mse", "bce"}
        See :func:`reconstruction_loss`.
    sparsity : {"l1", "kl"}
        :func:`l1_activity_penalty` or :func:`kl_sparsity_penalty`.
    weight : float
        Multiplies the penalty.
    target : float, default=0.05
        Target mean activation of each code unit (``"kl"`` only).
    """

    def __init__(self, kind, sparsity, weight, target=0.05):
        super().__init__(kind)
        if sparsity not in SPARSITY_PENALTIES:
            raise ValueError(f"sparsity must be one of {SPARSITY_PENALTIES}, got {sparsity!r}.")
        self.sparsity = sparsity
        self.weight = weight
        self.target = target

    def penalty(self, code):
        """The unweighted sparsity penalty of a batch of codes."""
        if self.sparsity == "l1":
            return l1_activity_penalty(code)
        return kl_sparsity_penalty(code, self.target)

    def forward(self, output, target):
        return super().forward(output, target) + self.weight * self.penalty(output[1])
