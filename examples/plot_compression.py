"""
Compression: bits per sample against reconstruction error
=========================================================

An autoencoder is a lossy compressor: the encoder's code, stored with a
fixed number of bits per dimension, is the compressed sample, and the
decoder rebuilds it. This example quantises the codes of
:class:`skae.Autoencoder` models of several code sizes uniformly (each
dimension to ``2**bits`` levels over the range seen on the training data),
decodes the quantised codes with ``inverse_transform``, and measures the
held-out reconstruction error at each budget of bits per sample. PCA
scores quantised in the same way are the baseline. The figure shows both
trade-off curves (the best error reached at each budget).

MNIST when a data folder is given (``--data`` or ``SKAE_DATA``; the first
20,000 training images), otherwise scikit-learn's 8x8 digits, whose raw
pixels take 64 x log2(17) = 262 bits.
``SKAE_FAST_EXAMPLES=1`` trains for a few epochs only. The quick build of
these pages runs that way: each autoencoder trains for 2 epochs, too few to
learn a useful code, so there the autoencoder's curve is only indicative.

Run it from the project's root::

    python examples/plot_compression.py [--data ../shared/data] [--output DIR]
"""

# %%
# The data
# --------
# Rows of pixels in [0, 1]: MNIST's 28x28 images or the 8x8 digits, each
# with a held-out test set on which every error below is measured. Each
# data set comes with its own list of code sizes to try, larger for MNIST's
# 784 pixels than for the digits' 64.

import argparse
import os
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skae import Autoencoder
from skae.datasets import DATA_ENV, load_mnist


def load(data):
    data = data or os.environ.get(DATA_ENV)
    if data:
        X_train, _ = load_mnist(data, split="train")
        X_test, _ = load_mnist(data, split="test")
        return "MNIST", X_train[:20_000], X_test, (4, 8, 16, 32, 64)
    print(f"No data folder given (--data or {DATA_ENV}): using scikit-learn's 8x8 digits.")
    X = load_digits().data.astype(np.float32) / 16
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)
    return "digits", X_train, X_test, (2, 4, 8, 16, 32)


# ``--data`` is the folder holding MNIST, ``--output`` the folder for the figure.
parser = argparse.ArgumentParser(description="Bits per sample against reconstruction error.")
parser.add_argument("--data", help=f"folder holding mnist/ (default: ${DATA_ENV})")
parser.add_argument("--output", default="example_output", help="folder for the figure")
args, _ = parser.parse_known_args()
fast = bool(os.environ.get("SKAE_FAST_EXAMPLES"))

name, X_train, X_test, sizes = load(args.data)

# %%
# Quantising the codes
# --------------------
# Each code dimension is clipped to the range its values span on the
# training data and rounded to one of ``2**bits`` evenly spaced levels in
# that range; the rounded code is what would be stored. A code of ``k``
# dimensions at ``b`` bits each then costs ``k * b`` bits per sample.
# ``tradeoff`` decodes the quantised test codes with the model's own decoder
# and returns one (bits per sample, held-out MSE) point per bit depth.

BITS = (2, 3, 4, 6, 8)


def quantise(codes, low, high, bits):
    """Round each code dimension to one of 2**bits levels between low and high."""
    levels = 2**bits - 1
    span = np.where(high > low, high - low, 1.0)
    steps = np.rint((np.clip(codes, low, high) - low) / span * levels)
    return (low + steps / levels * span).astype(codes.dtype)


def tradeoff(model, X_train, X_test, decode):
    """(bits per sample, held-out MSE) of ``model``'s quantised codes at each bit depth."""
    train_codes = model.transform(X_train)
    low, high = train_codes.min(axis=0), train_codes.max(axis=0)
    codes = model.transform(X_test)
    points = []
    for bits in BITS:
        reconstruction = decode(quantise(codes, low, high, bits))
        points.append((codes.shape[1] * bits, float(np.mean((reconstruction - X_test) ** 2))))
    return points


# %%
# PCA and autoencoders of several code sizes
# ------------------------------------------
# For each code size, a PCA and an autoencoder are fit on the training
# images; PCA's scores are its code and ``inverse_transform`` its decoder.
# The autoencoder is scored by its reconstruction error alone
# (``outlier_score="reconstruction"``), as nothing here uses its outlier
# score. It trains for a fixed number of epochs, so the
# ``ConvergenceWarning`` is silenced. Every pair of code size and bit depth
# gives one point of the trade-off.

points = {"PCA": [], "Autoencoder": []}
for n_components in sizes:
    pca = PCA(n_components).fit(X_train)
    points["PCA"] += tradeoff(pca, X_train, X_test, pca.inverse_transform)
    ae = Autoencoder(
        n_components,
        hidden_layer_sizes=(256,) if name == "MNIST" else (64,),
        max_iter=2 if fast else (20 if name == "MNIST" else 200),
        outlier_score="reconstruction",
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ae.fit(X_train)
    points["Autoencoder"] += tradeoff(ae, X_train, X_test, ae.inverse_transform)

# %%
# The best error at each budget
# -----------------------------
# Several settings can fit in the same budget: a small code at many bits
# per dimension or a larger one at few. The frontier keeps, for each model
# family, the points that lower the best error reached so far as the budget
# grows. The table reads it at four budgets: the lowest held-out error of
# any setting that costs at most that many bits per sample.


def frontier(points):
    """The lowest error reached at or below each budget, over all models."""
    points = sorted(points)
    best, curve = np.inf, []
    for bits, error in points:
        if error < best:
            best = error
            curve.append((bits, error))
    return np.array(curve)


curves = {label: frontier(p) for label, p in points.items()}
print(f"{name}: held-out reconstruction MSE at a budget of bits per sample")
print(f"{'bits':>6}{'PCA':>10}{'Autoencoder':>13}")
for budget in (16, 32, 64, 128):

    def best_within(curve, budget=budget):
        inside = curve[curve[:, 0] <= budget]
        return inside[:, 1].min() if len(inside) else np.nan

    pca_error, ae_error = (best_within(curves[k]) for k in ("PCA", "Autoencoder"))
    print(f"{budget:>6}{pca_error:>10.5f}{ae_error:>13.5f}")

# %%
# The trade-off curves
# --------------------
# The faint dots are every (code size, bit depth) setting; the steps are
# the frontier, the best error reached within each budget. Lower and to
# the left is better: where one family's steps lie below the other's, it
# reconstructs better for the same number of stored bits.

fig, ax = plt.subplots(figsize=(6.5, 4.2), layout="constrained")
for label, curve in curves.items():
    raw = np.array(points[label])
    (line,) = ax.step(curve[:, 0], curve[:, 1], where="post", label=f"{label}, best at budget")
    ax.scatter(raw[:, 0], raw[:, 1], s=10, color=line.get_color(), alpha=0.35)
ax.set_xscale("log", base=2)
ax.set_yscale("log")
ax.set_xlabel("bits per sample (code size x bits per dimension)")
ax.set_ylabel("held-out reconstruction MSE")
ax.set_title(f"{name}: lossy compression by quantised codes")
ax.legend()

output = Path(args.output)
output.mkdir(parents=True, exist_ok=True)
figure = output / "compression.png"
fig.savefig(figure, dpi=100)
print(f"Figure written to {figure}")
