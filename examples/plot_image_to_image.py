"""
Super-resolution and inpainting: an encoder-decoder trained on image pairs
==========================================================================

Trains :class:`skae.EncoderDecoderRegressor` on pairs of images: a
low-resolution version (each 2x2 block averaged) to the full image, and an
image with its lower half blanked to the intact one. Beside it, the linear
map (``Ridge`` on the flattened pixels) learns the same pairs, and the
figure shows input, linear map, encoder-decoder and truth for test images.

MNIST when a data folder is given (``--data`` or ``SKAE_DATA``), otherwise
scikit-learn's 8x8 digits. ``SKAE_FAST_EXAMPLES=1`` (the quick build of
these pages) trains the digits for 30 epochs instead of 100, and MNIST for
one epoch instead of 5.

Run it from the project's root::

    python examples/plot_image_to_image.py [--data ../shared/data] [--output DIR]
"""

# %%
# The images and the pairs
# ------------------------
# The images are in [0, 1], of shape ``(n, H, W)``. Both tasks keep the
# clean image as the target ``y``; they differ in what the input ``X``
# lost. Super-resolution's input is half the size in each direction, so
# ``X`` and ``y`` have different shapes; inpainting's input has the shape of
# the target, its lower half set to 0.

import argparse
import os
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.model_selection import train_test_split

from skae import EncoderDecoderRegressor
from skae.datasets import DATA_ENV, load_mnist


def load(data):
    """The data set's name and its training and test images, (n, H, W) in [0, 1]."""
    data = data or os.environ.get(DATA_ENV)
    if data:
        train, _ = load_mnist(data, split="train", images=True)
        test, _ = load_mnist(data, split="test", images=True)
        return "MNIST", train[:20000], test[:2000]
    print(f"No data folder given (--data or {DATA_ENV}): using scikit-learn's 8x8 digits.")
    images = load_digits().images.astype(np.float32) / 16
    train, test = train_test_split(images, test_size=0.25, random_state=0)
    return "digits", train, test


def low_resolution(images):
    """Each 2x2 block of ``images`` averaged: (n, H, W) to (n, H/2, W/2)."""
    n, h, w = images.shape
    return images.reshape(n, h // 2, 2, w // 2, 2).mean(axis=(2, 4))


def lower_half_blanked(images):
    """``images`` with their lower half set to 0."""
    blanked = images.copy()
    blanked[:, images.shape[1] // 2 :] = 0
    return blanked


TASKS = {"super-resolution": low_resolution, "inpainting": lower_half_blanked}


def psnr(prediction, target):
    return 10 * np.log10(1 / np.mean((prediction - target) ** 2))


# ``--data`` is the folder holding MNIST, ``--output`` the folder for the figure.

parser = argparse.ArgumentParser(description="Super-resolution and inpainting.")
parser.add_argument("--data", help=f"folder holding mnist/ (default: ${DATA_ENV})")
parser.add_argument("--output", type=Path, default=Path("example_output"))
args, _ = parser.parse_known_args()
fast = os.environ.get("SKAE_FAST_EXAMPLES") == "1"
name, train, test = load(args.data)
# epochs (fast mode, full run): MNIST has 20,000 images, the 8x8 digits few and small
epochs = {"MNIST": (1, 5), "digits": (30, 100)}[name][0 if fast else 1]
print(f"{name}: {len(train)} training and {len(test)} test images, {epochs} epoch(s)")

# %%
# Training
# --------
# One model per task, with the defaults but the number of epochs. With
# images on both sides, the default network is a small U-Net: skip
# connections carry the encoder's feature maps to the decoder's maps of the
# same size, so what the input still shows reaches the output directly and
# the code carries what it lost. When ``X`` is smaller than ``y``, the input
# is first resized to ``y``'s size. The loss is the binary cross-entropy,
# chosen because the targets lie in [0, 1]. The linear map sees the same
# pairs as flattened pixels.

models = {}
for task, degrade in TASKS.items():
    X, y = degrade(train), train
    start = time.perf_counter()
    model = EncoderDecoderRegressor(max_iter=epochs, random_state=0)
    with warnings.catch_warnings():
        # a fixed, small number of epochs, not a convergence
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    model_time = time.perf_counter() - start
    start = time.perf_counter()
    linear = Ridge(alpha=1.0).fit(X.reshape(len(X), -1), y.reshape(len(y), -1))
    linear_time = time.perf_counter() - start
    models[task] = model, linear
    print(f"{task}: fitted in {model_time:.1f} s (the linear map in {linear_time:.2f} s)")

# %%
# Scoring on test images
# ----------------------
# Each model predicts the test images from their degraded inputs; the PSNR,
# ``10 log10(1 / MSE)`` over all test pixels, compares them with the truth.

print(f"\n{'test PSNR (dB)':18s} {'linear map':>10s} {'skae':>6s}")
rows = []
for task, (model, linear) in models.items():
    X_test = TASKS[task](test)
    predicted = model.predict(X_test)
    flat = linear.predict(X_test.reshape(len(X_test), -1))
    lin = np.clip(flat, 0, 1).reshape(test.shape)
    print(f"{task:18s} {psnr(lin, test):10.2f} {psnr(predicted, test):6.2f}")
    rows += [(f"{task}\ninput", X_test), ("linear map", lin), ("skae", predicted), ("truth", test)]

# %%
# The first test images
# ---------------------
# For each task, the input, the linear map's prediction, the
# encoder-decoder's and the truth. The linear map blurs where it has to
# guess; the encoder-decoder draws strokes.

n_images = 8
fig, axes = plt.subplots(len(rows), n_images, figsize=(n_images, 1.05 * len(rows)))
for (title, images), row in zip(rows, axes):
    for image, ax in zip(images, row):
        ax.imshow(image, cmap="gray_r", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
    row[0].set_ylabel(title, rotation=0, ha="right", va="center", fontsize=9)
fig.tight_layout()
args.output.mkdir(parents=True, exist_ok=True)
fig.savefig(args.output / "image_to_image.png", dpi=100)
print(f"\nwrote {args.output / 'image_to_image.png'}")
