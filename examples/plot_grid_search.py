"""
Grid search of code size and sparsity without labels
====================================================

Every skae estimator's ``score`` is the negative mean reconstruction error of
held-out data, so :class:`~sklearn.model_selection.GridSearchCV` can tune an
autoencoder without any labels. This example searches the code size
(``n_components``) and the L1 penalty's strength (``sparsity_weight``) of a
:class:`skae.SparseAutoencoder` with 3-fold cross-validation.

Reconstruction error alone favours the largest code and the weakest
penalty, so the best score is rarely the model one wants: a smaller or
sparser code that reconstructs almost as well is cheaper and often more
useful. A callable ``refit`` picks the smallest, then most strongly
penalised, model whose held-out error is within 10% of the best (in the
spirit of scikit-learn's "one standard error" example). The figure shows the
held-out error of each pair, the best pair and the one chosen.

MNIST when a data folder is given (``--data`` or ``SKAE_DATA``; the first
5,000 training images), otherwise scikit-learn's 8x8 digits.
``SKAE_FAST_EXAMPLES=1`` trains for a few epochs only. The quick build of
these pages runs that way: each fit runs 2 epochs, so the errors there are
those of barely trained models, and the best and chosen pairs need not be
those of a full run.

Run it from the project's root::

    python examples/plot_grid_search.py [--data ../shared/data] [--output DIR]
"""

# %%
# The data
# --------
# Rows of pixels in [0, 1]: the first 5,000 MNIST training images, or all
# of the 8x8 digits. No labels are loaded, as the search needs none; the
# cross-validation below holds out part of these rows for each score.

import argparse
import os
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from skae import SparseAutoencoder
from skae.datasets import DATA_ENV, load_mnist


def load(data):
    data = data or os.environ.get(DATA_ENV)
    if data:
        X, _ = load_mnist(data, split="train")
        return "MNIST", X[:5000]
    print(f"No data folder given (--data or {DATA_ENV}): using scikit-learn's 8x8 digits.")
    return "digits", load_digits().data.astype(np.float32) / 16


# ``--data`` is the folder holding MNIST, ``--output`` the folder for the figure.
parser = argparse.ArgumentParser(description="Grid search of code size and sparsity.")
parser.add_argument("--data", help=f"folder holding mnist/ (default: ${DATA_ENV})")
parser.add_argument("--output", default="example_output", help="folder for the figure")
args, _ = parser.parse_known_args()
fast = bool(os.environ.get("SKAE_FAST_EXAMPLES"))

name, X = load(args.data)

# %%
# The estimator and the grid
# --------------------------
# A :class:`skae.SparseAutoencoder` with an L1 penalty on its code, and a
# grid of four code sizes by three penalty strengths: twelve settings.

GRID = {"n_components": [4, 8, 16, 32], "sparsity_weight": [1e-4, 1e-3, 1e-2]}
TOLERANCE = 0.10

# The search only calls score(), the reconstruction error: the plain score
# skips fitting the hybrid outlier score's statistics after each fit.
estimator = SparseAutoencoder(
    sparsity="l1",
    outlier_score="reconstruction",
    hidden_layer_sizes=(256,) if name == "MNIST" else (64,),
    max_iter=2 if fast else (20 if name == "MNIST" else 100),
    random_state=0,
)

# %%
# Searching, and refitting the simplest good model
# ------------------------------------------------
# ``GridSearchCV`` fits each setting on two thirds of the rows and scores
# it on the remaining third, three times over. Given a callable ``refit``,
# it calls it with ``cv_results_`` and refits the setting at the index it
# returns, on all the rows. ``simplest_close_to_best`` keeps the settings
# whose mean held-out error is within 10% of the lowest, and among them
# takes the smallest code, then the strongest penalty. Each fit stops after
# ``max_iter`` epochs, so the ``ConvergenceWarning`` is silenced.


def simplest_close_to_best(cv_results):
    """Index of the smallest code, then strongest penalty, within TOLERANCE of the best error."""
    error = -np.asarray(cv_results["mean_test_score"])
    good = np.flatnonzero(error <= (1 + TOLERANCE) * error.min())
    size = np.asarray(cv_results["param_n_components"], dtype=int)[good]
    weight = np.asarray(cv_results["param_sparsity_weight"], dtype=float)[good]
    return int(good[np.lexsort((-weight, size))[0]])


search = GridSearchCV(estimator, GRID, cv=3, refit=simplest_close_to_best)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X)

# %%
# The held-out errors
# -------------------
# The table gives the mean held-out reconstruction error of each setting,
# one row per code size and one column per penalty strength. Below it, the
# setting with the best score (the lowest error) and the one the callable
# ``refit`` chose, which ``best_params_`` reports.

results = search.cv_results_
mse = -np.asarray(results["mean_test_score"]).reshape(len(GRID["n_components"]), -1)
best = {k: results["params"][int(np.argmax(results["mean_test_score"]))][k] for k in GRID}
chosen = search.best_params_
print(f"{name}: {len(results['params'])} settings x 3 folds, no labels used")
print(f"{'n_components':>12}" + "".join(f"{w:>12g}" for w in GRID["sparsity_weight"]))
for size, row in zip(GRID["n_components"], mse):
    print(f"{size:>12}" + "".join(f"{v:>12.5f}" for v in row))
print(f"best held-out score: {best}")
print(f"chosen (simplest within {TOLERANCE:.0%} of the best error): {chosen}")

# %%
# The figure
# ----------
# The same table as a heat map (yellow is a lower error), with a star on
# the setting of best score and a circle on the one chosen. Where the two
# differ, the circle marks a smaller or more strongly penalised code whose
# error stays within 10% of the star's.

fig, ax = plt.subplots(figsize=(6, 4.5), layout="constrained")
image = ax.imshow(mse, cmap="viridis_r", aspect="auto")
fig.colorbar(image, ax=ax, label="held-out reconstruction MSE")
ax.set_xticks(range(len(GRID["sparsity_weight"])), [f"{w:g}" for w in GRID["sparsity_weight"]])
ax.set_yticks(range(len(GRID["n_components"])), [str(s) for s in GRID["n_components"]])
ax.set_xlabel("sparsity_weight")
ax.set_ylabel("n_components")
for params, marker, label in (
    (best, "*", "best score"),
    (chosen, "o", f"chosen (within {TOLERANCE:.0%})"),
):
    i = GRID["n_components"].index(params["n_components"])
    j = GRID["sparsity_weight"].index(params["sparsity_weight"])
    ax.plot(j, i, marker, color="red", markersize=14, fillstyle="none", label=label)
ax.legend(loc="upper right", fontsize="small")
ax.set_title(f"{name}: SparseAutoencoder grid search, no labels")

output = Path(args.output)
output.mkdir(parents=True, exist_ok=True)
figure = output / "grid_search.png"
fig.savefig(figure, dpi=100)
print(f"Figure written to {figure}")
