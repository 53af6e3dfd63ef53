"""
Convolutional autoencoder on images
===================================

Trains :class:`skae.ConvAutoencoder` (the Keras convolutional tutorial's
shape: two stride-2 convolutions, a dense code, transposed convolutions back)
on images, shows originals above their reconstructions, and trains a second
one as a convolutional denoising autoencoder (``noise="gaussian"``) that
cleans test images corrupted with noise of standard deviation 0.5.

MNIST when a data folder is given (``--data`` or ``SKAE_DATA``), otherwise
scikit-learn's 8x8 digits. ``SKAE_FAST_EXAMPLES=1`` runs one epoch only.

    python examples/plot_conv_autoencoder.py [--data ../shared/data] [--output DIR]
"""

import argparse
import os
import time
import warnings
from pathlib import Path

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


def fit(model, X):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X)
    return time.perf_counter() - start


def plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(rows), 10, figsize=(10, 1.15 * len(rows) + 0.4))
    for r, (title, images) in enumerate(rows):
        for c in range(10):
            axes[r, c].imshow(images[c], cmap="gray_r", vmin=0, vmax=1)
            axes[r, c].set_xticks([])
            axes[r, c].set_yticks([])
        axes[r, 0].set_ylabel(title, rotation=0, ha="right", va="center", fontsize=8)
    fig.suptitle("Convolutional autoencoder: reconstruction and denoising")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help=f"folder holding mnist/ (default: ${DATA_ENV})")
    parser.add_argument("--output", default="example_output", help="folder for the figure")
    args = parser.parse_args(argv)
    fast = bool(os.environ.get("SKAE_FAST_EXAMPLES"))

    name, X_train, X_test = load(args.data)
    epochs = 1 if fast else (5 if name == "MNIST" else 100)
    code = 32 if name == "MNIST" else 8
    common = dict(max_iter=epochs, batch_size=128, random_state=0)

    conv = ConvAutoencoder(code, **common)
    fit_time = fit(conv, X_train)
    reconstructed = conv.reconstruct(X_test)
    mse = float(np.mean((reconstructed - X_test) ** 2))
    print(f"{name}: ConvAutoencoder, code {code}, {conv.n_iter_} epochs, fit {fit_time:.1f}s")
    print(f"test reconstruction MSE {mse:.5f} (PSNR {10 * np.log10(1 / mse):.2f} dB)")

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

    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    figure = output / "conv_autoencoder.png"
    rows = [
        ("original", X_test),
        ("reconstructed", reconstructed),
        ("noisy", noisy),
        ("denoised", denoised),
    ]
    plot(rows, figure)
    print(f"Figure written to {figure}")


if __name__ == "__main__":
    main()
