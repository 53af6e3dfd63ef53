"""The hand-written PyTorch loops that ``bench_speed.py`` times skae against, and skae's twins.

Each loop is what a user who knows PyTorch well writes for one variant: the
same network skae builds (:mod:`skae.networks`), the same loss and noise
(:mod:`skae.losses`, :mod:`skae.noise`), ``torch.optim.Adam`` with
``fused=True`` (the implementation skae trains with) and the same learning
rate and weight decay, batches sliced from one float32 tensor in a fresh
seeded order on every epoch, and then the one no-grad pass over the training
data that an outlier detector needs for its threshold. Nothing else: no
validation, no history, no callbacks, no checks.

:func:`skae_estimator` builds the skae estimator that does the same work:
the same network, loss, noise, epochs, batch size and weight decay, with
``tol=0`` so that it trains every epoch, and the reconstruction error as its
outlier score (the variational autoencoder scores by its ELBO, which the
loop computes too).
"""

import warnings

import numpy as np
import torch
from torch.nn import functional as F

from skae import (
    Autoencoder,
    ConvAutoencoder,
    DenoisingAutoencoder,
    SparseAutoencoder,
    VariationalAutoencoder,
)
from skae.losses import SparseReconstructionLoss, VariationalLoss, gaussian_kl, log_likelihood
from skae.networks import (
    ConvAutoencoderNetwork,
    DenseAutoencoderNetwork,
    VariationalAutoencoderNetwork,
)
from skae.noise import Corruption

CODE = 8
"""Code size of the dense variants."""
CONV_CODE = 32
"""Code size of the convolutional autoencoder, with skae's default filters (32, 64)."""
HIDDEN = 64
LR = 1e-3
WEIGHT_DECAY = 1e-4
SPARSITY_WEIGHT = 1e-3
NOISE_LEVEL = 0.2
ELBO_DRAWS = 10
SCORE_ROWS = 1024

VARIANTS = ("dense", "sparse", "denoising", "conv", "vae")


def make_data(variant, n_samples, n_features, seed=0):
    """Standardised rows on a curved 8-dimensional surface, or 28 x 28 images in [0, 1]."""
    rng = np.random.default_rng(seed)
    if variant == "conv":
        # smooth random images: a few Gaussian blobs each
        grid = np.linspace(-1, 1, 28, dtype=np.float32)
        centres = rng.uniform(-0.7, 0.7, size=(n_samples, 3, 2)).astype(np.float32)
        dx = grid[None, None, :] - centres[:, :, :1]
        dy = grid[None, None, :] - centres[:, :, 1:]
        images = np.exp(-(dx[:, :, None, :] ** 2 + dy[:, :, :, None] ** 2) / 0.05).sum(1)
        return np.clip(images, 0, 1)[:, None].astype(np.float32)
    latent = rng.standard_normal((n_samples, CODE), dtype=np.float32)
    mixing = rng.standard_normal((CODE, n_features), dtype=np.float32)
    X = np.tanh(latent @ mixing) + 0.1 * rng.standard_normal(
        (n_samples, n_features), dtype=np.float32
    )
    return (X - X.mean(0)) / X.std(0)


def _network(variant, n_features, generator):
    if variant == "conv":
        return ConvAutoencoderNetwork((1, 28, 28), CONV_CODE, (32, 64), 3, "relu")
    if variant == "vae":
        module = VariationalAutoencoderNetwork.dense(n_features, CODE, (HIDDEN,), "relu")
        module.generator = generator
        return module
    return DenseAutoencoderNetwork(n_features, CODE, (HIDDEN,), "relu")


def hand_fit(variant, X, batch_size, epochs, seed=0):
    """Train the variant's network by hand on ``X`` and score the training rows once."""
    torch.manual_seed(seed)
    order_generator = torch.Generator().manual_seed(seed)
    noise_generator = torch.Generator().manual_seed(seed + 1)
    data = torch.from_numpy(X.reshape(len(X), -1))
    module = _network(variant, data.shape[1], noise_generator)
    optimizer = torch.optim.Adam(module.parameters(), lr=LR, weight_decay=WEIGHT_DECAY, fused=True)
    sparse = SparseReconstructionLoss("mse", "l1", SPARSITY_WEIGHT)
    variational = VariationalLoss("mse", kl_weight=1.0)
    noise = Corruption("gaussian", NOISE_LEVEL)
    module.train()
    for _ in range(epochs):
        order = torch.randperm(len(data), generator=order_generator)
        for start in range(0, len(data), batch_size):
            batch = data.index_select(0, order[start : start + batch_size])
            optimizer.zero_grad()
            if variant == "denoising":
                output = module(noise(batch, noise_generator))
            else:
                output = module(batch)
            if variant == "sparse":
                loss = sparse(output, batch)
            elif variant == "vae":
                loss = variational(output, batch)
            else:
                loss = F.mse_loss(output[0], batch)
            loss.backward()
            optimizer.step()
    return module, hand_scores(variant, module, data)


def hand_scores(variant, module, data):
    """The training rows' scores, in one no-grad pass (higher is more normal)."""
    module.eval()
    scores = torch.empty(len(data))
    draws = torch.from_numpy(np.random.default_rng(0).standard_normal((ELBO_DRAWS, CODE)))
    with torch.no_grad():
        for start in range(0, len(data), SCORE_ROWS):
            batch = data[start : start + SCORE_ROWS]
            if variant == "vae":
                mean, log_var = module.encode_distribution(batch)
                std = torch.exp(0.5 * log_var)
                expected = sum(
                    log_likelihood(module.decoder(mean + std * eps.float()), batch, "mse")
                    for eps in draws
                )
                scores[start : start + SCORE_ROWS] = expected / ELBO_DRAWS - gaussian_kl(
                    mean, log_var
                )
            else:
                reconstruction = module.decode(module.encode(batch))
                scores[start : start + SCORE_ROWS] = -(reconstruction - batch).square().mean(1)
    return scores.numpy()


def hand_fit_one_thread(variant, X, batch_size, epochs, seed=0):
    """:func:`hand_fit` on one thread, the caller's setting put back."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return hand_fit(variant, X, batch_size, epochs, seed)
    finally:
        torch.set_num_threads(threads)


def skae_estimator(variant, batch_size, epochs, seed=0, **params):
    """The skae estimator doing the loop's work (``params`` added, ``n_threads`` say)."""
    common = dict(
        loss="mse",
        batch_size=batch_size,
        max_iter=epochs,
        learning_rate_init=LR,
        alpha=WEIGHT_DECAY * batch_size,  # MLP's scaling: Adam's weight decay is alpha / batch_size
        tol=0.0,
        random_state=seed,
    )
    if variant == "conv":
        return ConvAutoencoder(CONV_CODE, filters=(32, 64), **common, **params)
    if variant == "vae":
        return VariationalAutoencoder(
            CODE, hidden_layer_sizes=(HIDDEN,), n_elbo_samples=ELBO_DRAWS, **common, **params
        )
    dense = {"hidden_layer_sizes": (HIDDEN,), "outlier_score": "reconstruction", **common, **params}
    if variant == "sparse":
        return SparseAutoencoder(CODE, sparsity="l1", sparsity_weight=SPARSITY_WEIGHT, **dense)
    if variant == "denoising":
        return DenoisingAutoencoder(CODE, noise="gaussian", noise_level=NOISE_LEVEL, **dense)
    return Autoencoder(CODE, **dense)


def skae_fit(variant, X, batch_size, epochs, seed=0, **params):
    """Fit :func:`skae_estimator` on ``X``, its ConvergenceWarning silenced."""
    estimator = skae_estimator(variant, batch_size, epochs, seed, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return estimator.fit(X)
