"""
Variational autoencoder: a 2-D latent map and generated digits
==============================================================

Trains the dense :class:`skae.VariationalAutoencoder` with two latent variables, then
draws the two figures of Kingma and Welling's paper and of Keras' VAE
tutorial: the test digits placed at their posterior means and coloured by
their label (digits of a kind gather although the model never saw a label),
and a grid of digits decoded from evenly spaced quantiles of the latent
plane (``decode_grid``). It also prints the test ELBO and draws new digits
with ``sample``.

MNIST when a data folder is given (``--data`` or ``SKAE_DATA``), otherwise
scikit-learn's 8x8 digits. ``SKAE_FAST_EXAMPLES=1`` runs one epoch only. The
quick build of these pages runs that way, and one epoch is far too few for
the model to learn the digits: there the test digits do not gather by label
and the decoded and sampled digits are grey blobs, so the figure only shows
its layout.

Run it from the project's root::

    python examples/plot_vae_latent_space.py [--data ../shared/data] [--output DIR]
"""

# %%
# The images
# ----------
# Training and test images as rows of pixels in [0, 1], and the labels of
# the test images, used only to colour the latent map.

import argparse
import math
import os
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skae import VariationalAutoencoder
from skae.datasets import DATA_ENV, load_mnist


def load(data):
    data = data or os.environ.get(DATA_ENV)
    if data:
        X_train, _ = load_mnist(data, split="train")
        X_test, y_test = load_mnist(data, split="test")
        return "MNIST", X_train, X_test, y_test
    print(f"No data folder given (--data or {DATA_ENV}): using scikit-learn's 8x8 digits.")
    digits = load_digits()
    X = digits.data.astype(np.float32) / 16
    X_train, X_test, _, y_test = train_test_split(X, digits.target, test_size=0.25, random_state=0)
    return "digits", X_train, X_test, y_test


# ``--data`` is the folder holding MNIST, ``--output`` the folder for the figure.
parser = argparse.ArgumentParser(description="Variational autoencoder: a 2-D latent map.")
parser.add_argument("--data", help=f"folder holding mnist/ (default: ${DATA_ENV})")
parser.add_argument("--output", default="example_output", help="folder for the figure")
args, _ = parser.parse_known_args()
fast = bool(os.environ.get("SKAE_FAST_EXAMPLES"))

name, X_train, X_test, y_test = load(args.data)
mnist = name == "MNIST"

# %%
# Training with two latent variables
# ----------------------------------
# The encoder maps each image to a Gaussian over a 2-D latent plane (its
# mean and spread); the decoder maps a point of the plane back to an image.
# With only two latent variables, the whole latent space can be drawn as a
# plane. The model trains for a fixed number of epochs, so the
# ``ConvergenceWarning`` is silenced.

vae = VariationalAutoencoder(
    2,
    hidden_layer_sizes=(512, 256) if mnist else (128,),
    max_iter=1 if fast else (30 if mnist else 300),
    batch_size=128,
    random_state=0,
)
start = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    vae.fit(X_train)
fit_time = time.perf_counter() - start
print(f"{name}: VariationalAutoencoder(2), {vae.n_iter_} epochs, fit {fit_time:.1f}s")

# %%
# How likely the test images are
# ------------------------------
# ``score`` is the evidence lower bound (ELBO), in nats per image, averaged
# over the test images: a lower bound on their log-likelihood under the
# model, higher is better. ``log_likelihood`` estimates the
# log-likelihood itself by importance sampling, here with 100 latent draws
# per image on the first 1,000 test images; in expectation this bound is
# at least the ELBO, and it tightens as the number of draws grows.

elbo = vae.score(X_test)
iw = vae.log_likelihood(X_test[:1000], n_importance_samples=100, random_state=0).mean()
print(
    f"test ELBO {elbo:.2f} nats per image; importance-weighted log-likelihood "
    f"(K=100, 1000 images) {iw:.2f}"
)

# %%
# Codes, a decoded grid and new samples
# -------------------------------------
# ``transform`` places each test image at its posterior mean in the plane.
# ``decode_grid`` decodes a square grid of latent points, taken at evenly
# spaced quantiles (5% to 95%) of the standard-normal prior along each
# axis, so that equal steps hold equal prior mass. ``sample`` draws latent
# points from the prior and decodes them: new digits.

codes = vae.transform(X_test)
grid, values = vae.decode_grid(15 if mnist else 10)
samples = vae.sample(10, random_state=0)

# %%
# The latent map and the generated digits
# ---------------------------------------
# Left, the test images in the latent plane, coloured by their label:
# digits of one kind that gather were grouped without any label. Right,
# the decoded grid, laid out on the same axes, so each image shows what
# the decoder draws at that point of the plane. Below, ten samples.

fig = plt.figure(figsize=(13, 6.2))
left = fig.add_axes([0.05, 0.26, 0.40, 0.66])
scatter = left.scatter(codes[:, 0], codes[:, 1], c=y_test, cmap="tab10", s=3, alpha=0.7)
left.legend(*scatter.legend_elements(), title="digit", loc="upper right", fontsize=7)
left.set_xlabel("z[0] (posterior mean)")
left.set_ylabel("z[1]")
left.set_title("Test digits in the latent plane")

n, side = len(values), math.isqrt(grid.shape[-1])
grid = grid.reshape(n, n, side, side)
h = w = side
canvas = np.ones((n * h, n * w))
for i in range(n):
    for j in range(n):
        # z[1] grows upwards, z[0] to the right, as in the scatter plot
        canvas[(n - 1 - j) * h : (n - j) * h, i * w : (i + 1) * w] = grid[i, j]
right = fig.add_axes([0.53, 0.26, 0.42, 0.66])
extent = [values[0], values[-1], values[0], values[-1]]
right.imshow(canvas, cmap="gray_r", vmin=0, vmax=1, extent=extent)
right.set_xlabel("z[0]")
right.set_ylabel("z[1]")
right.set_title("Digits decoded from the latent plane (decode_grid)")

for k, image in enumerate(samples):
    ax = fig.add_axes([0.05 + k * 0.09, 0.02, 0.08, 0.12])
    ax.imshow(image.reshape(side, side), cmap="gray_r", vmin=0, vmax=1)
    ax.set_axis_off()
fig.text(0.05, 0.155, "sample(10, random_state=0):", fontsize=8)

output = Path(args.output)
output.mkdir(parents=True, exist_ok=True)
figure = output / "vae_latent_space.png"
fig.savefig(figure, dpi=100)
print(f"Figure written to {figure}")
