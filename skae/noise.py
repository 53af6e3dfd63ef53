"""Input corruptions for denoising autoencoders (pure torch).

A :class:`Corruption` is applied to each training batch, and only to training
batches, drawing from a :class:`torch.Generator` that the estimator seeds.
The clean batch remains the target, so the network learns to undo the noise.
Nothing here imports scikit-learn or skorch.
"""

import torch

__all__ = ["NOISE_KINDS", "Corruption"]

NOISE_KINDS = ("gaussian", "masking", "salt_pepper")


class Corruption:
    """Random corruption of a batch of inputs.

    Parameters
    ----------
    kind : {"gaussian", "masking", "salt_pepper"}
        ``"gaussian"`` adds normal noise of standard deviation ``level``;
        ``"masking"`` sets each value to zero with probability ``level``;
        ``"salt_pepper"`` sets each value to ``low`` or ``high`` (half of the
        time each) with probability ``level``.
    level : float
        Standard deviation (``"gaussian"``) or probability (the others).
    low, high : torch.Tensor or None, default=None
        Per-feature minimum and maximum of the data, shaped like one sample;
        required by ``"salt_pepper"``.
    clip : tuple of float or None, default=None
        Range that Gaussian-noised values are clipped to (``(0, 1)`` for
        data trained with binary cross-entropy).
    value : float, default=0.0
        What ``"masking"`` sets a hidden value to (NaN hides it as a missing
        entry, for a network that reads missing entries itself).
    """

    def __init__(self, kind, level, *, low=None, high=None, clip=None, value=0.0):
        if kind not in NOISE_KINDS:
            raise ValueError(f"kind must be one of {NOISE_KINDS}, got {kind!r}.")
        if kind == "salt_pepper" and (low is None or high is None):
            raise ValueError("salt_pepper noise needs the data's low and high values.")
        self.kind = kind
        self.level = level
        self.low = low
        self.high = high
        self.clip = clip
        self.value = value

    def __call__(self, X, generator):
        """Return a corrupted copy of ``X``; ``X`` itself is not modified."""
        if self.level == 0:
            return X
        if self.kind == "gaussian":
            noise = torch.randn(X.shape, generator=generator, dtype=X.dtype, device=X.device)
            noisy = X + self.level * noise
            return noisy if self.clip is None else noisy.clamp_(*self.clip)
        draw = torch.rand(X.shape, generator=generator, dtype=X.dtype, device=X.device)
        if self.kind == "masking":
            if self.value == 0:
                return X * (draw >= self.level)
            return torch.where(draw < self.level, self.value, X)
        # the data's extremes, where the batch is (a CUDA batch, CPU extremes)
        low, high = self.low.to(X.device), self.high.to(X.device)
        salted = torch.where(draw < self.level / 2, low, high)
        return torch.where(draw < self.level, salted, X)
