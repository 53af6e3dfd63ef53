"""
Reconstructions of a vanilla autoencoder
========================================

The first model of the Keras autoencoder tutorial: a dense autoencoder that
squeezes each image through a small code and rebuilds it. Here it is
:class:`skae.Autoencoder` with early stopping on a validation split, and
three of the :mod:`skae.plotting` displays in one figure:
:class:`~skae.plotting.ReconstructionDisplay` (held-out originals above their
reconstructions), :class:`~skae.plotting.LossCurveDisplay` (training and
validation loss, and the epoch whose weights were kept) and
:class:`~skae.plotting.LatentSpaceDisplay` (the codes projected on their two
principal components, coloured by the digit, which training never saw).

MNIST when a data folder is given (``--data`` or ``SKAE_DATA``; 32-unit
code, as in the tutorial), otherwise scikit-learn's 8x8 digits (16-unit
code). ``SKAE_FAST_EXAMPLES=1`` trains for a few epochs only. The quick
build of these pages runs that way: 3 epochs, too few to learn the digits,
so there the figure shows a barely trained network, with blurred
reconstructions and a loss curve of three points.

Run it from the project's root::

    python examples/plot_reconstructions.py [--data ../shared/data] [--output DIR]
"""

# %%
# The images
# ----------
# Training and test images as rows of pixels in [0, 1], and the labels of
# the test images, used only to colour the codes in the figure. ``side``
# is the images' side in pixels, to draw the rows back as images.

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
from skae.plotting import LatentSpaceDisplay, LossCurveDisplay, ReconstructionDisplay


def load(data):
    """Train and test images as rows in [0, 1], their labels, and the image side."""
    data = data or os.environ.get(DATA_ENV)
    if data:
        X_train, _ = load_mnist(data, split="train")
        X_test, y_test = load_mnist(data, split="test")
        return "MNIST", X_train, X_test, y_test, 28
    print(f"No data folder given (--data or {DATA_ENV}): using scikit-learn's 8x8 digits.")
    X, y = load_digits(return_X_y=True)
    X_train, X_test, _, y_test = train_test_split(
        X.astype(np.float32) / 16, y, test_size=0.25, random_state=0
    )
    return "digits", X_train, X_test, y_test, 8


# ``--data`` is the folder holding MNIST, ``--output`` the folder for the figure.
parser = argparse.ArgumentParser(description="Reconstructions of a vanilla autoencoder.")
parser.add_argument("--data", help=f"folder holding mnist/ (default: ${DATA_ENV})")
parser.add_argument("--output", default="example_output", help="folder for the figure")
args, _ = parser.parse_known_args()
fast = bool(os.environ.get("SKAE_FAST_EXAMPLES"))

name, X_train, X_test, y_test, side = load(args.data)

# %%
# Training with early stopping
# ----------------------------
# With ``early_stopping=True`` the autoencoder holds out a validation
# fraction of the training images (10% by default), stops when the
# validation loss has not improved for ``n_iter_no_change`` epochs, and
# restores the weights of its best epoch. ``max_iter`` caps the number of
# epochs; a run that reaches the cap raises a ``ConvergenceWarning``, which
# is silenced here.

mnist = name == "MNIST"
n_components = 32 if mnist else 16
ae = Autoencoder(
    n_components,
    hidden_layer_sizes=(256,) if mnist else (64,),
    early_stopping=True,
    max_iter=3 if fast else (50 if mnist else 300),
    random_state=0,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    ae.fit(X_train)

# %%
# Held-out error, against PCA
# ---------------------------
# A PCA with as many components as the code has units is the linear
# reference. The first line gives the epochs run and the epoch whose
# weights were kept (the one of highest validation score); the second the
# mean squared reconstruction error of both models on the test images.

pca = PCA(n_components).fit(X_train)
ae_mse = float(np.mean(ae.reconstruction_error(X_test)))
pca_mse = float(np.mean((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2))
best = int(np.argmax(ae.validation_scores_)) + 1
print(f"{name}: Autoencoder({n_components}), {ae.n_iter_} epochs, weights of epoch {best}")
print(f"held-out reconstruction MSE: autoencoder {ae_mse:.5f}, PCA({n_components}) {pca_mse:.5f}")

# %%
# Three displays in one figure
# ----------------------------
# Above, ten test images and their reconstructions. Below left, the
# training and validation loss per epoch on a log scale, with the epoch
# whose weights were kept. Below right, the test codes projected on their
# first two principal components and coloured by their label: digits of
# one kind that land close together were told apart by the autoencoder
# without any label.

fig = plt.figure(figsize=(11, 8), layout="constrained")
top, bottom = fig.subfigures(2, 1, height_ratios=[1, 1.3])
ReconstructionDisplay.from_estimator(
    ae, X_test, n_samples=10, image_shape=(side, side), ax=top.subplots()
)
top.suptitle("Held-out digits (top) and their reconstructions (bottom)")
left, right = bottom.subplots(1, 2)
LossCurveDisplay.from_estimator(ae, ax=left, log_scale=True)
LatentSpaceDisplay.from_estimator(ae, X_test, y_test, projection="pca", ax=right)

output = Path(args.output)
output.mkdir(parents=True, exist_ok=True)
figure = output / "reconstructions.png"
fig.savefig(figure, dpi=100)
print(f"Figure written to {figure}")
