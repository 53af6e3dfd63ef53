"""Pure PyTorch loss functions and criteria used by the skae estimators.

A *criterion* is an ``nn.Module`` called as ``criterion(output, X, module=module)``,
where ``output`` is the tuple a network's ``forward`` returns (the decoder's
pre-activation first, the code second; see :mod:`skae.networks`), ``X`` is
the clean input and ``module`` the network itself, for penalties that depend
on it (a contractive penalty on the encoder's Jacobian, say; ``module.training``
tells a training batch from a validation one). When the training data have
missing values, the criterion is also given ``observed=``, a boolean tensor
shaped like ``X`` that is False at the missing entries, whose values in ``X``
are then 0 and must play no part in the loss. Variants that add a penalty to
the reconstruction loss subclass :class:`ReconstructionLoss`.
Nothing here imports scikit-learn or skorch.
"""

import math

import torch
from torch import nn
from torch.nn import functional as F

__all__ = [
    "RECONSTRUCTION_LOSSES",
    "SPARSITY_PENALTIES",
    "ReconstructionLoss",
    "SparseReconstructionLoss",
    "VariationalLoss",
    "gaussian_kl",
    "gaussian_log_density",
    "kl_sparsity_penalty",
    "l1_activity_penalty",
    "log_likelihood",
    "observed_scale",
    "reconstruction_loss",
    "squared_error",
]

RECONSTRUCTION_LOSSES = ("mse", "bce")
SPARSITY_PENALTIES = ("l1", "kl")
_EPS = 1e-6
_LOG_2PI = math.log(2 * math.pi)


def squared_error(reconstruction, target):
    """Element-wise squared error, with the shape of ``target``."""
    return (reconstruction - target).square()


def reconstruction_loss(output, target, kind="mse", observed=None):
    """Mean reconstruction loss over every element of a batch, or over its observed ones.

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
    observed : bool torch.Tensor or None, default=None
        Shaped like ``target``: the entries that were observed, the others
        missing (their ``target`` values, any finite number, are ignored).
        The loss is then the mean over the observed entries only, and
        neither its value nor its gradient depends on a missing entry.

    Returns
    -------
    torch.Tensor
        A scalar.
    """
    if kind not in RECONSTRUCTION_LOSSES:
        raise ValueError(f"kind must be one of {RECONSTRUCTION_LOSSES}, got {kind!r}.")
    if observed is None:
        if kind == "mse":
            return F.mse_loss(output, target)
        return F.binary_cross_entropy_with_logits(output, target)
    weight = observed.to(output.dtype)
    count = weight.sum().clamp_min(1.0)
    if kind == "mse":
        return ((output - target).square() * weight).sum() / count
    return (
        F.binary_cross_entropy_with_logits(output, target, weight=weight, reduction="sum") / count
    )


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

    def forward(self, output, target, module=None, observed=None):
        return reconstruction_loss(output[0], target, self.kind, observed)


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

    def forward(self, output, target, module=None, observed=None):
        return super().forward(output, target, observed=observed) + self.weight * self.penalty(
            output[1]
        )


def log_likelihood(output, target, kind="mse", observed=None):
    """Log-likelihood ``log p(x | z)`` of each sample under the decoder's distribution.

    Parameters
    ----------
    output : torch.Tensor of shape (n, n_features)
        The decoder's pre-activation (see :func:`reconstruction_loss`).
    target : torch.Tensor of shape (n, n_features)
    kind : {"mse", "bce"}, default="mse"
        ``"bce"``: independent Bernoulli variables with logits ``output``,
        ``sum_j x_j log p_j + (1 - x_j) log(1 - p_j)``. ``"mse"``: independent
        Gaussians of mean ``output`` and unit variance,
        ``-0.5 * sum_j (x_j - output_j)^2 - 0.5 * n_features * log(2 pi)``.
    observed : bool torch.Tensor or None, default=None
        Shaped like ``target``: the observed entries. The sums then run over
        them only, which is the log-likelihood of the observed part of each
        sample, ``log p(x_obs | z)``.

    Returns
    -------
    torch.Tensor of shape (n,)
        In nats.
    """
    if kind == "bce":
        terms = -F.binary_cross_entropy_with_logits(output, target, reduction="none")
    elif kind == "mse":
        terms = -0.5 * ((output - target).square() + _LOG_2PI)
    else:
        raise ValueError(f"kind must be one of {RECONSTRUCTION_LOSSES}, got {kind!r}.")
    if observed is not None:
        terms = terms * observed.to(terms.dtype)
    return terms.sum(dim=1)


def observed_scale(observed, n_features):
    """``n_features / n_observed`` of each sample (1 where ``observed`` is None).

    Scales a sum over a sample's observed entries to the size of a sum over
    all of them, so that samples with missing entries compare with complete
    ones.
    """
    if observed is None:
        return 1.0
    return n_features / observed.sum(dim=1).clamp_min(1).to(torch.float32)


def gaussian_log_density(z, mean, log_var):
    """Log-density of ``z`` under diagonal Gaussians, summed over the last axis."""
    return -0.5 * ((z - mean).square() / log_var.exp() + log_var + _LOG_2PI).sum(dim=-1)


def gaussian_kl(mean, log_var):
    """``KL(N(mean, exp(log_var)) || N(0, I))`` of each sample, in nats.

    ``0.5 * sum_j (mean_j^2 + exp(log_var_j) - 1 - log_var_j)``, the closed
    form for diagonal Gaussians (Kingma and Welling, 2014, appendix B).

    Parameters
    ----------
    mean, log_var : torch.Tensor of shape (n, n_components)

    Returns
    -------
    torch.Tensor of shape (n,)
    """
    return 0.5 * (mean.square() + log_var.exp() - 1 - log_var).sum(dim=1)


class VariationalLoss(nn.Module):
    """Negative evidence lower bound (ELBO) of a batch, with a weighted KL term.

    ``mean over the batch of -log p(x | z) + kl_weight * KL(q(z | x) || p(z))``,
    where ``z`` is the reparameterised sample the network decoded and
    ``p(z)`` is the standard normal prior. With ``kl_weight=1`` it is the
    negative ELBO per sample, in nats; other weights give the beta-VAE
    objective (Higgins et al., 2017).

    Parameters
    ----------
    kind : {"mse", "bce"}
        The decoder's distribution; see :func:`log_likelihood`.
    kl_weight : float, default=1.0
        Weight of the KL term. The estimators change it during a KL warm-up.

    Notes
    -----
    With ``observed`` (missing entries), a sample's log-likelihood is summed
    over its observed entries and multiplied by ``n_features / n_observed``
    (:func:`observed_scale`), so that the balance between the reconstruction
    and the KL term does not depend on how much of a sample is missing.
    """

    def __init__(self, kind, kl_weight=1.0):
        super().__init__()
        if kind not in RECONSTRUCTION_LOSSES:
            raise ValueError(f"kind must be one of {RECONSTRUCTION_LOSSES}, got {kind!r}.")
        self.kind = kind
        self.kl_weight = kl_weight

    def forward(self, output, target, module=None, observed=None):
        reconstruction, mean, log_var = output[:3]
        # a sample's observed entries stand for all of its entries (see observed_scale)
        scale = observed_scale(observed, target.shape[1])
        nll = -log_likelihood(reconstruction, target, self.kind, observed) * scale
        return (nll + self.kl_weight * gaussian_kl(mean, log_var)).mean()
