"""
Sparse codes with an L1 activity penalty
========================================

The Keras autoencoder tutorial adds ``activity_regularizer=l1(10e-6)`` to a
32-unit ReLU code to make it sparse. :class:`skae.SparseAutoencoder` with
``sparsity="l1"`` adds the same penalty. This example trains three models
that differ only in the penalty's strength (none, the tutorial's 10e-6, which
is 1e-5, and a stronger 1e-3), then compares how active their codes are and
how well they reconstruct held-out images. It saves histograms of the code
activations.

MNIST when a data folder is given (``--data`` or ``SKAE_DATA``), otherwise
scikit-learn's 8x8 digits. ``SKAE_FAST_EXAMPLES=1`` runs a few epochs only.
The quick build of these pages runs that way: 3 epochs instead of 200 on the
digits, so there the numbers and histograms are those of barely trained
models and only indicative.

Run it from the project's root::

    python examples/plot_sparse_codes.py [--data ../shared/data] [--output DIR]
"""

# %%
# The images and the three penalties
# ----------------------------------
# Rows of pixels in [0, 1], split into training and held-out test images.
# The three strengths of the L1 penalty are named as in the table below;
# the tutorial writes its strength as ``10e-6``, which is ``1e-5``.

import argparse
import os
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skae import SparseAutoencoder
from skae.datasets import DATA_ENV, load_mnist

STRENGTHS = {"no penalty": 0.0, "tutorial, 10e-6": 1e-5, "stronger, 1e-3": 1e-3}


def load(data):
    data = data or os.environ.get(DATA_ENV)
    if data:
        X_train, _ = load_mnist(data, split="train")
        X_test, _ = load_mnist(data, split="test")
        return "MNIST", X_train, X_test
    print(f"No data folder given (--data or {DATA_ENV}): using scikit-learn's 8x8 digits.")
    X = load_digits().data.astype(np.float32) / 16
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)
    return "digits", X_train, X_test


# ``--data`` is the folder holding MNIST, ``--output`` the folder for the figure.
parser = argparse.ArgumentParser(description="Sparse codes with an L1 activity penalty.")
parser.add_argument("--data", help=f"folder holding mnist/ (default: ${DATA_ENV})")
parser.add_argument("--output", default="example_output", help="folder for the figure")
args, _ = parser.parse_known_args()
fast = bool(os.environ.get("SKAE_FAST_EXAMPLES"))

name, X_train, X_test = load(args.data)
max_iter = 3 if fast else (30 if name == "MNIST" else 200)

# %%
# Three models that differ only in the penalty
# --------------------------------------------
# Each :class:`skae.SparseAutoencoder` has one hidden layer of 128 units
# and a code of 32 ReLU units; ``sparsity_weight`` scales the L1 penalty on
# the code activations added to the reconstruction loss. For each model,
# ``sparsity_stats`` summarises its codes of the test images,
# ``reconstruction_error`` gives its held-out error, and the codes
# themselves are kept for the figure. Training stops after ``max_iter``
# epochs, so the ``ConvergenceWarning`` is silenced.

stats_of, mse_of, codes = {}, {}, {}
for label, weight in STRENGTHS.items():
    sae = SparseAutoencoder(
        32,
        sparsity="l1",
        sparsity_weight=weight,
        hidden_layer_sizes=(128,),
        max_iter=max_iter,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sae.fit(X_train)
    stats_of[label] = sae.sparsity_stats(X_test)
    mse_of[label] = float(np.mean(sae.reconstruction_error(X_test)))
    codes[label] = sae.transform(X_test)

# %%
# How sparse the codes are, and what it costs
# -------------------------------------------
# For each penalty: the mean absolute code value, the share of code values
# near zero (at most 0.01 in absolute value), the number of dead units
# (near zero on every test image) and the held-out reconstruction error.
# A stronger penalty pushes more of the code to zero; the last column shows
# what that costs in reconstruction.

print(f"{name}: 32 ReLU code units, L1 activity penalty of increasing strength")
print(f"{'penalty':<18}{'mean act.':>10}{'near zero':>11}{'dead units':>12}{'test MSE':>10}")
for label in STRENGTHS:
    stats, mse = stats_of[label], mse_of[label]
    print(
        f"{label:<18}{stats['mean_activation']:>10.4f}{stats['fraction_near_zero']:>11.1%}"
        f"{stats['dead_units']:>12}{mse:>10.5f}"
    )

# %%
# Histograms of the code activations
# ----------------------------------
# One histogram per penalty of all the code values of the test images, on
# a common range and with a log-scaled count. The first bar counts the
# values at or near zero; a sparser code has a taller bar there and fewer
# large activations.

fig, axes = plt.subplots(1, len(codes), figsize=(4 * len(codes), 3.2), sharey=True)
top = max(c.max() for c in codes.values())
for ax, (label, values) in zip(axes, codes.items()):
    ax.hist(values.ravel(), bins=40, range=(0, top), log=True, color="tab:blue")
    ax.set_title(f"{label}\nmean activation {values.mean():.3f}", fontsize=9)
    ax.set_xlabel("code activation")
axes[0].set_ylabel("count (log scale)")
fig.suptitle("Code activations on held-out images")
fig.tight_layout()

output = Path(args.output)
output.mkdir(parents=True, exist_ok=True)
figure = output / "sparse_codes.png"
fig.savefig(figure, dpi=100)
print(f"Figure written to {figure}")
