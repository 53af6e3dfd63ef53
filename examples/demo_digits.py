"""
Autoencoder vs PCA on handwritten digits
========================================

Fits :class:`skae.Autoencoder` and :class:`sklearn.decomposition.PCA` with the
same code sizes on scikit-learn's bundled 8x8 digits (scaled to [0, 1]),
compares their reconstruction error on held-out digits, lists the held-out
digits the autoencoder finds most unusual (lowest ``score_samples``), and
saves a figure of originals and reconstructions.

Run it with ``make demo`` or ``python examples/demo_digits.py --output DIR``.
Set ``SKAE_FAST_EXAMPLES=1`` for a quick run with few epochs.
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

from skae import Autoencoder

CODE_SIZES = (4, 8, 16)


def held_out_mse(model, X):
    return float(np.mean((model.inverse_transform(model.transform(X)) - X) ** 2))


def compare(X_train, X_test, max_iter):
    """Fit both models at each code size; return rows of the comparison table."""
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
    return rows, models


def print_table(rows):
    print("Held-out reconstruction MSE on digits (8x8, scaled to [0, 1], 25% test split)")
    print(f"{'code':>5} {'PCA':>9} {'Autoencoder':>12} {'AE/PCA':>7} {'PCA fit':>9} {'AE fit':>8}")
    for n_components, pca_mse, ae_mse, pca_time, ae_time in rows:
        print(
            f"{n_components:>5} {pca_mse:>9.5f} {ae_mse:>12.5f} {ae_mse / pca_mse:>7.2f} "
            f"{pca_time:>8.3f}s {ae_time:>7.2f}s"
        )


def plot(X_test, y_test, pca, ae, outliers, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = X_test[:10]
    rows = [
        ("original", shown),
        (f"autoencoder ({ae.n_components_})", ae.inverse_transform(ae.transform(shown))),
        (f"PCA ({pca.n_components_})", pca.inverse_transform(pca.transform(shown))),
        ("most unusual", X_test[outliers]),
    ]
    fig, axes = plt.subplots(len(rows), 10, figsize=(10, 1.2 * len(rows) + 0.4))
    for r, (title, images) in enumerate(rows):
        for c in range(10):
            ax = axes[r, c]
            ax.imshow(images[c].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == len(rows) - 1:
                ax.set_xlabel(f"label {y_test[outliers[c]]}", fontsize=7)
        axes[r, 0].set_ylabel(title, rotation=0, ha="right", va="center", fontsize=8)
    fig.suptitle("Held-out digits and their reconstructions")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", default="demo_output", help="folder for the figure")
    args = parser.parse_args(argv)
    max_iter = 5 if os.environ.get("SKAE_FAST_EXAMPLES") else 200

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    X_train, X_test, _, y_test = train_test_split(X, y, test_size=0.25, random_state=0)

    rows, models = compare(X_train, X_test, max_iter)
    print_table(rows)

    pca, ae = models[8]
    scores = ae.score_samples(X_test)
    outliers = np.argsort(scores)[:10]
    print("\nMost unusual held-out digits by score_samples (autoencoder, code 8):")
    print(f"{'row':>5} {'label':>6} {'score':>9} {'predict':>8}")
    for i, label in zip(outliers[:5], ae.predict(X_test[outliers[:5]])):
        print(f"{i:>5} {y_test[i]:>6} {scores[i]:>9.4f} {label:>8}")
    share = np.mean(ae.predict(X_test) == -1)
    print(f"Held-out digits flagged as outliers (contamination='auto'): {share:.1%}")

    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    figure = output / "digits_reconstructions.png"
    plot(X_test, y_test, pca, ae, outliers, figure)
    print(f"\nFigure written to {figure}")


if __name__ == "__main__":
    main()
