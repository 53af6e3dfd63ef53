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

    python examples/plot_sparse_codes.py [--data ../shared/data] [--output DIR]
"""

import argparse
import os
import warnings
from pathlib import Path

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


def plot(codes, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(codes), figsize=(4 * len(codes), 3.2), sharey=True)
    top = max(c.max() for c in codes.values())
    for ax, (label, values) in zip(axes, codes.items()):
        ax.hist(values.ravel(), bins=40, range=(0, top), log=True, color="tab:blue")
        ax.set_title(f"{label}\nmean activation {values.mean():.3f}", fontsize=9)
        ax.set_xlabel("code activation")
    axes[0].set_ylabel("count (log scale)")
    fig.suptitle("Code activations on held-out images")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help=f"folder holding mnist/ (default: ${DATA_ENV})")
    parser.add_argument("--output", default="example_output", help="folder for the figure")
    args = parser.parse_args(argv)
    fast = bool(os.environ.get("SKAE_FAST_EXAMPLES"))

    name, X_train, X_test = load(args.data)
    max_iter = 3 if fast else (30 if name == "MNIST" else 200)
    print(f"{name}: 32 ReLU code units, L1 activity penalty of increasing strength")
    print(f"{'penalty':<18}{'mean act.':>10}{'near zero':>11}{'dead units':>12}{'test MSE':>10}")
    codes = {}
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
        stats = sae.sparsity_stats(X_test)
        mse = float(np.mean(sae.reconstruction_error(X_test)))
        codes[label] = sae.transform(X_test)
        print(
            f"{label:<18}{stats['mean_activation']:>10.4f}{stats['fraction_near_zero']:>11.1%}"
            f"{stats['dead_units']:>12}{mse:>10.5f}"
        )

    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    figure = output / "sparse_codes.png"
    plot(codes, figure)
    print(f"Figure written to {figure}")


if __name__ == "__main__":
    main()
