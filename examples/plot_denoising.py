"""
Denoising handwritten digits
============================

Trains :class:`skae.DenoisingAutoencoder` to undo Gaussian noise of standard
deviation 0.5 (clipped to [0, 1]) and compares it with PCA reconstructions of
the same noisy test images, by peak signal-to-noise ratio (PSNR, higher is
better). Saves rows of noisy, denoised and clean digits.

The images are MNIST when a data folder is given (``--data`` or the
``SKAE_DATA`` environment variable, a folder holding ``mnist/``); otherwise
scikit-learn's bundled 8x8 digits. Set ``SKAE_FAST_EXAMPLES=1`` for a quick
run with few epochs. The quick build of these pages runs that way: the
autoencoder trains for 2 epochs instead of 200, too few to learn to denoise,
so there its PSNR and its row of the figure are only indicative.

Run it from the project's root::

    python examples/plot_denoising.py [--data ../shared/data] [--output DIR]
"""

# %%
# The images and the noise
# ------------------------
# Each image is a row of pixels in [0, 1]. Gaussian noise of standard
# deviation 0.5 is added to the test images, and the result clipped back to
# [0, 1]; the clean test images are kept as the truth. The training images
# stay clean: the denoising autoencoder adds its own noise as it trains.

import argparse
import os
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skae import DenoisingAutoencoder
from skae.datasets import DATA_ENV, load_mnist

NOISE = 0.5


def load(data):
    """MNIST from ``data`` if given, else the bundled digits; images in [0, 1]."""
    data = data or os.environ.get(DATA_ENV)
    if data:
        X_train, _ = load_mnist(data, split="train")
        X_test, _ = load_mnist(data, split="test")
        return "MNIST", X_train, X_test, 28
    print(f"No data folder given (--data or {DATA_ENV}): using scikit-learn's 8x8 digits.")
    X = load_digits().data.astype(np.float32) / 16
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)
    return "digits", X_train, X_test, 8


# ``--data`` is the folder holding MNIST, ``--output`` the folder for the figure.
parser = argparse.ArgumentParser(description="Denoising handwritten digits.")
parser.add_argument("--data", help=f"folder holding mnist/ (default: ${DATA_ENV})")
parser.add_argument("--output", default="example_output", help="folder for the figure")
args, _ = parser.parse_known_args()
fast = bool(os.environ.get("SKAE_FAST_EXAMPLES"))

name, X_train, X_test, side = load(args.data)
rng = np.random.default_rng(0)
noisy = np.clip(X_test + rng.normal(0, NOISE, X_test.shape), 0, 1).astype(X_test.dtype)

# %%
# PCA as the baseline
# -------------------
# PCA fit on the clean training images denoises by projection: a noisy
# image, projected on the first ``k`` principal components and mapped back,
# keeps what lies in that subspace and loses the rest of the noise, along
# with the detail the subspace misses. Three values of ``k`` are tried, and
# the best of them (highest PSNR) is the baseline to beat. The PSNR is
# ``10 log10(1 / MSE)`` against the clean test images.


def psnr(estimate, clean):
    return float(10 * np.log10(1.0 / np.mean((estimate - clean) ** 2)))


pca_psnr = {}
for k in (8, 16, 32):
    pca = PCA(n_components=k, random_state=0).fit(X_train)
    pca_psnr[k] = psnr(pca.inverse_transform(pca.transform(noisy)), X_test)
best_k = max(pca_psnr, key=pca_psnr.get)

# %%
# Training the denoising autoencoder
# ----------------------------------
# :class:`skae.DenoisingAutoencoder` with ``noise="gaussian"`` adds noise of
# the same standard deviation to its clean training images and learns to
# rebuild the clean ones. MNIST gets a wider network and a larger code than
# the 8x8 digits. ``denoise`` then cleans the noisy test images. Training
# stops after ``max_iter`` epochs, so the ``ConvergenceWarning`` is
# silenced.


def model_for(name, fast):
    """The denoising autoencoder used for each data set."""
    if name == "MNIST":
        params = dict(n_components=128, hidden_layer_sizes=(1024,), max_iter=20)
    else:
        params = dict(n_components=32, hidden_layer_sizes=(256,), max_iter=200)
    if fast:
        params["max_iter"] = 2
    return DenoisingAutoencoder(noise="gaussian", noise_level=NOISE, random_state=0, **params)


dae = model_for(name, fast)
start = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    dae.fit(X_train)
fit_time = time.perf_counter() - start
denoised = dae.denoise(noisy)

# %%
# Comparing by PSNR
# -----------------
# The PSNR of the noisy input itself is the starting point: a denoiser
# helps where its PSNR is higher. Below it come the three PCAs and the
# autoencoder, with its fitting time and epochs; the last line recalls the
# best PCA, the baseline the autoencoder is compared with.

print(f"{name}: {len(X_train)} training and {len(X_test)} test images, noise std {NOISE}")
print(f"{'':<34}{'PSNR (dB)':>10}")
print(f"{'noisy input':<34}{psnr(noisy, X_test):>10.2f}")
for k, value in pca_psnr.items():
    print(f"{f'PCA, {k} components':<34}{value:>10.2f}")
print(
    f"{f'DenoisingAutoencoder ({dae.n_components_} codes)':<34}"
    f"{psnr(denoised, X_test):>10.2f}   fit {fit_time:.1f}s, {dae.n_iter_} epochs"
)
print(f"best PCA ({best_k} components): {pca_psnr[best_k]:.2f} dB")

# %%
# Noisy, denoised and clean digits
# --------------------------------
# The first ten test images: the noisy input, the autoencoder's output and
# the clean truth. Compare the middle row with the bottom one for the
# strokes the autoencoder restores, and with the top one for the noise it
# removes.

rows = [("noisy", noisy), ("denoised", denoised), ("clean", X_test)]
fig, axes = plt.subplots(len(rows), 10, figsize=(10, 1.15 * len(rows) + 0.4))
for r, (title, images) in enumerate(rows):
    for c in range(10):
        ax = axes[r, c]
        ax.imshow(images[c].reshape(side, side), cmap="gray_r", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[r, 0].set_ylabel(title, rotation=0, ha="right", va="center", fontsize=8)
fig.suptitle(f"Denoising Gaussian noise of std {NOISE}")
fig.tight_layout()

output = Path(args.output)
output.mkdir(parents=True, exist_ok=True)
figure = output / "denoising.png"
fig.savefig(figure, dpi=100)
print(f"Figure written to {figure}")
