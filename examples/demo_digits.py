"""
Autoencoder vs PCA on handwritten digits
========================================

Fits :class:`skae.Autoencoder` and :class:`sklearn.decomposition.PCA` with the
same code sizes on scikit-learn's bundled 8x8 digits (scaled to [0, 1]),
compares their reconstruction error on held-out digits, lists the held-out
digits the autoencoder finds most unusual (lowest ``score_samples``), and
saves a figure of originals and reconstructions.

Run it with ``make demo`` or ``python examples/demo_digits.py --output DIR``.
Set ``SKAE_FAST_EXAMPLES=1`` for a quick run with few epochs. The quick build
of these pages runs that way: each autoencoder trains for 5 epochs instead of
200, too few to learn the digits, so there its errors, its ranking of unusual
digits and its reconstructions in the figure are only indicative.
"""

# %%
# The digits
# ----------
# scikit-learn's digits are 8x8 images with pixel values from 0 to 16;
# dividing by 16 puts them in [0, 1]. A quarter of them is held out, so that
# every error below is measured on digits that neither model saw while
# fitting. The labels of the held-out digits are kept only to name the
# unusual digits at the end: neither model uses them.

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

from skae import Autoencoder

# ``--output`` is the folder for the figure.
parser = argparse.ArgumentParser(description="Autoencoder vs PCA on handwritten digits.")
parser.add_argument("--output", default="demo_output", help="folder for the figure")
args, _ = parser.parse_known_args()
max_iter = 5 if os.environ.get("SKAE_FAST_EXAMPLES") else 200

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, _, y_test = train_test_split(X, y, test_size=0.25, random_state=0)

# %%
# Fitting both models at each code size
# -------------------------------------
# At each code size, PCA keeps that many principal components and the
# autoencoder squeezes each digit through a code of that many units. Both
# map a digit to its code with ``transform`` and back with
# ``inverse_transform``, so one function measures the held-out
# reconstruction error of either. The autoencoder trains for a fixed number
# of epochs, so a ``ConvergenceWarning`` saying it did not converge is
# expected and silenced. Each model's fitting time is kept for the table.

CODE_SIZES = (4, 8, 16)


def held_out_mse(model, X):
    return float(np.mean((model.inverse_transform(model.transform(X)) - X) ** 2))


rows, models = [], {}
for n_components in CODE_SIZES:
    start = time.perf_counter()
    pca = PCA(n_components=n_components).fit(X_train)
    pca_time = time.perf_counter() - start
    start = time.perf_counter()
    ae = Autoencoder(n_components=n_components, max_iter=max_iter, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ae.fit(X_train)
    ae_time = time.perf_counter() - start
    rows.append(
        (n_components, held_out_mse(pca, X_test), held_out_mse(ae, X_test), pca_time, ae_time)
    )
    models[n_components] = (pca, ae)

# %%
# The comparison table
# --------------------
# One row per code size: each model's mean squared error on the held-out
# digits, their ratio (below 1 where the autoencoder reconstructs better
# than PCA) and the seconds each took to fit. PCA fits in closed form, while
# the autoencoder runs ``max_iter`` epochs of gradient descent.

print("Held-out reconstruction MSE on digits (8x8, scaled to [0, 1], 25% test split)")
print(f"{'code':>5} {'PCA':>9} {'Autoencoder':>12} {'AE/PCA':>7} {'PCA fit':>9} {'AE fit':>8}")
for n_components, pca_mse, ae_mse, pca_time, ae_time in rows:
    print(
        f"{n_components:>5} {pca_mse:>9.5f} {ae_mse:>12.5f} {ae_mse / pca_mse:>7.2f} "
        f"{pca_time:>8.3f}s {ae_time:>7.2f}s"
    )

# %%
# The most unusual held-out digits
# --------------------------------
# An autoencoder is also an outlier detector. With the code of 8 units,
# ``score_samples`` scores each held-out digit (lower is more unusual) and
# ``predict`` labels it -1 (outlier) or 1. The ten lowest-scoring digits are
# kept for the figure; the five lowest are listed with their true label.
# With the default ``contamination="auto"``, ``predict`` flags a digit whose
# anomaly score lies above the upper Tukey fence of the training digits'
# scores; the last line gives the share of held-out digits it flags.

pca, ae = models[8]
scores = ae.score_samples(X_test)
outliers = np.argsort(scores)[:10]
print("\nMost unusual held-out digits by score_samples (autoencoder, code 8):")
print(f"{'row':>5} {'label':>6} {'score':>9} {'predict':>8}")
for i, label in zip(outliers[:5], ae.predict(X_test[outliers[:5]])):
    print(f"{i:>5} {y_test[i]:>6} {scores[i]:>9.4f} {label:>8}")
share = np.mean(ae.predict(X_test) == -1)
print(f"Held-out digits flagged as outliers (contamination='auto'): {share:.1%}")

# %%
# Originals and reconstructions
# -----------------------------
# The first ten held-out digits, their reconstructions by the autoencoder
# and by PCA (both with a code of 8), and in the last row the ten most
# unusual held-out digits, each with its true label. Compare how much of
# each stroke the two reconstructions keep.

shown = X_test[:10]
panels = [
    ("original", shown),
    (f"autoencoder ({ae.n_components_})", ae.inverse_transform(ae.transform(shown))),
    (f"PCA ({pca.n_components_})", pca.inverse_transform(pca.transform(shown))),
    ("most unusual", X_test[outliers]),
]
fig, axes = plt.subplots(len(panels), 10, figsize=(10, 1.2 * len(panels) + 0.4))
for r, (title, images) in enumerate(panels):
    for c in range(10):
        ax = axes[r, c]
        ax.imshow(images[c].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        if r == len(panels) - 1:
            ax.set_xlabel(f"label {y_test[outliers[c]]}", fontsize=7)
    axes[r, 0].set_ylabel(title, rotation=0, ha="right", va="center", fontsize=8)
fig.suptitle("Held-out digits and their reconstructions")
fig.tight_layout()

output = Path(args.output)
output.mkdir(parents=True, exist_ok=True)
figure = output / "digits_reconstructions.png"
fig.savefig(figure, dpi=100)
print(f"\nFigure written to {figure}")
