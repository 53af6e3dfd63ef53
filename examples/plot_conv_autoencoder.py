"""
Convolutional autoencoder on images
===================================

Trains :class:`skae.ConvAutoencoder` (the Keras convolutional tutorial's
shape: two stride-2 convolutions, a dense code, transposed convolutions back)
on images, shows originals above their reconstructions, and trains a second
one as a convolutional denoising autoencoder (``noise="gaussian"``) that
cleans test images corrupted with noise of standard deviation 0.5.

MNIST when a data folder is given (``--data`` or ``SKAE_DATA``), otherwise
scikit-learn's 8x8 digits. ``SKAE_FAST_EXAMPLES=1`` runs one epoch only. The
quick build of these pages runs that way, and one epoch is far too few for
either network to learn the digits: there the reconstructed and denoised
images come out as nearly the same grey blob, and the figure only shows
its layout.

Run it from the project's root::

    python examples/plot_conv_autoencoder.py [--data ../shared/data] [--output DIR]
"""

# %%
# The images
# ----------
# The images are arrays of shape ``(n, H, W)`` with values in [0, 1];
# :class:`skae.ConvAutoencoder` takes them in that form, with no
# flattening. MNIST gets a code of 32 units and 5 epochs, the small 8x8
# digits a code of 8 units and 100 epochs. Both models below share the
# batch size and the seed.

import argparse
import os
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skae import ConvAutoencoder
from skae.datasets import DATA_ENV, load_mnist

NOISE = 0.5


def load(data):
    data = data or os.environ.get(DATA_ENV)
    if data:
        X_train, _ = load_mnist(data, split="train", images=True)
        X_test, _ = load_mnist(data, split="test", images=True)
        return "MNIST", X_train, X_test
    print(f"No data folder given (--data or {DATA_ENV}): using scikit-learn's 8x8 digits.")
    images = load_digits().images.astype(np.float32) / 16
    X_train, X_test = train_test_split(images, test_size=0.25, random_state=0)
    return "digits", X_train, X_test


# ``--data`` is the folder holding MNIST, ``--output`` the folder for the figure.
parser = argparse.ArgumentParser(description="Convolutional autoencoder on images.")
parser.add_argument("--data", help=f"folder holding mnist/ (default: ${DATA_ENV})")
parser.add_argument("--output", default="example_output", help="folder for the figure")
args, _ = parser.parse_known_args()
fast = bool(os.environ.get("SKAE_FAST_EXAMPLES"))

name, X_train, X_test = load(args.data)
epochs = 1 if fast else (5 if name == "MNIST" else 100)
code = 32 if name == "MNIST" else 8
common = dict(max_iter=epochs, batch_size=128, random_state=0)

# %%
# Reconstruction
# --------------
# The first model learns to rebuild each training image from its code.
# ``fit`` below times a fit and silences the ``ConvergenceWarning`` that a
# fixed number of epochs raises. ``reconstruct`` passes the test images
# through the encoder and decoder and returns images of the same shape.
# The error is the mean squared error over all test pixels, also given as
# a peak signal-to-noise ratio, ``10 log10(1 / MSE)`` (higher is better).


def fit(model, X):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X)
    return time.perf_counter() - start


conv = ConvAutoencoder(code, **common)
fit_time = fit(conv, X_train)
reconstructed = conv.reconstruct(X_test)
mse = float(np.mean((reconstructed - X_test) ** 2))
print(f"{name}: ConvAutoencoder, code {code}, {conv.n_iter_} epochs, fit {fit_time:.1f}s")
print(f"test reconstruction MSE {mse:.5f} (PSNR {10 * np.log10(1 / mse):.2f} dB)")

# %%
# Denoising
# ---------
# The test images are corrupted with Gaussian noise of standard deviation
# 0.5 and clipped back to [0, 1]. A second model, the same network with
# ``noise="gaussian"`` and ``noise_level=0.5``, adds Gaussian noise of
# that standard deviation to its training images as it trains and learns
# to output the clean ones. ``denoise`` then cleans the noisy test images. The line printed
# compares the PSNR of the noisy images and of the denoised ones against
# the clean test images.

noisy = np.clip(X_test + np.random.default_rng(0).normal(0, NOISE, X_test.shape), 0, 1)
noisy = noisy.astype(X_test.dtype)
denoiser = ConvAutoencoder(code, noise="gaussian", noise_level=NOISE, **common)
fit_time = fit(denoiser, X_train)
denoised = denoiser.denoise(noisy)


def psnr(estimate):
    return 10 * np.log10(1 / np.mean((estimate - X_test) ** 2))


print(
    f"denoising (noise std {NOISE}): noisy {psnr(noisy):.2f} dB -> "
    f"denoised {psnr(denoised):.2f} dB, fit {fit_time:.1f}s"
)

# %%
# The first ten test images
# -------------------------
# From top to bottom: the originals, the first model's reconstructions,
# the noisy versions and what the denoising model makes of them. Compare
# the second row with the first for what the code keeps of each digit, and
# the last row with the first for how much of the noise is removed.

rows = [
    ("original", X_test),
    ("reconstructed", reconstructed),
    ("noisy", noisy),
    ("denoised", denoised),
]
fig, axes = plt.subplots(len(rows), 10, figsize=(10, 1.15 * len(rows) + 0.4))
for r, (title, images) in enumerate(rows):
    for c in range(10):
        axes[r, c].imshow(images[c], cmap="gray_r", vmin=0, vmax=1)
        axes[r, c].set_xticks([])
        axes[r, c].set_yticks([])
    axes[r, 0].set_ylabel(title, rotation=0, ha="right", va="center", fontsize=8)
fig.suptitle("Convolutional autoencoder: reconstruction and denoising")
fig.tight_layout()

output = Path(args.output)
output.mkdir(parents=True, exist_ok=True)
figure = output / "conv_autoencoder.png"
fig.savefig(figure, dpi=100)
print(f"Figure written to {figure}")
