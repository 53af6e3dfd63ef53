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
run with few epochs.

    python examples/plot_denoising.py [--data ../shared/data] [--output DIR]
"""

import argparse
import os
import time
import warnings
from pathlib import Path

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


def psnr(estimate, clean):
    return float(10 * np.log10(1.0 / np.mean((estimate - clean) ** 2)))


def model_for(name, fast):
    """The denoising autoencoder used for each data set."""
    if name == "MNIST":
        params = dict(n_components=128, hidden_layer_sizes=(1024,), max_iter=20)
    else:
        params = dict(n_components=32, hidden_layer_sizes=(256,), max_iter=200)
    if fast:
        params["max_iter"] = 2
    return DenoisingAutoencoder(noise="gaussian", noise_level=NOISE, random_state=0, **params)


def plot(rows, side, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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
    fig.savefig(path, dpi=100)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help=f"folder holding mnist/ (default: ${DATA_ENV})")
    parser.add_argument("--output", default="example_output", help="folder for the figure")
    args = parser.parse_args(argv)
    fast = bool(os.environ.get("SKAE_FAST_EXAMPLES"))

    name, X_train, X_test, side = load(args.data)
    rng = np.random.default_rng(0)
    noisy = np.clip(X_test + rng.normal(0, NOISE, X_test.shape), 0, 1).astype(X_test.dtype)

    pca_psnr = {}
    for k in (8, 16, 32):
        pca = PCA(n_components=k, random_state=0).fit(X_train)
        pca_psnr[k] = psnr(pca.inverse_transform(pca.transform(noisy)), X_test)
    best_k = max(pca_psnr, key=pca_psnr.get)

    dae = model_for(name, fast)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        dae.fit(X_train)
    fit_time = time.perf_counter() - start
    denoised = dae.denoise(noisy)

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

    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    figure = output / "denoising.png"
    plot([("noisy", noisy), ("denoised", denoised), ("clean", X_test)], side, figure)
    print(f"Figure written to {figure}")


if __name__ == "__main__":
    main()
