"""
Training on data larger than memory
===================================

:func:`skae.fit_stream` trains an autoencoder chunk by chunk, so the data
never has to fit in memory: here from a ``.npy`` file opened as a memory
map, in chunks of 300 rows, for several passes. The same model trained with
``fit`` on the whole array, for the same number of passes and optimizer
steps, is the reference: the figure shows both training curves
(:class:`~skae.plotting.LossCurveDisplay`; a streamed "epoch" is one chunk)
and the held-out reconstruction error of each.

The data are scikit-learn's 8x8 digits, or MNIST when a data folder is
given (``--data`` or ``SKAE_DATA``; chunks of 10,000 images), written to a
temporary ``.npy`` file first. ``SKAE_FAST_EXAMPLES=1`` runs two passes.

    python examples/plot_streaming.py [--data ../shared/data] [--output DIR]
"""

import argparse
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skae import Autoencoder, fit_stream
from skae.datasets import DATA_ENV, load_mnist
from skae.plotting import LossCurveDisplay


def load(data):
    data = data or os.environ.get(DATA_ENV)
    if data:
        X_train, _ = load_mnist(data, split="train")
        X_test, _ = load_mnist(data, split="test")
        return "MNIST", X_train, X_test, 10_000
    print(f"No data folder given (--data or {DATA_ENV}): using scikit-learn's 8x8 digits.")
    X = load_digits().data.astype(np.float32) / 16
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)
    return "digits", X_train, X_test, 300


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help=f"folder holding mnist/ (default: ${DATA_ENV})")
    parser.add_argument("--output", default="example_output", help="folder for the figure")
    args = parser.parse_args(argv)
    fast = bool(os.environ.get("SKAE_FAST_EXAMPLES"))

    name, X_train, X_test, chunk_size = load(args.data)
    n_epochs = 2 if fast else (10 if name == "MNIST" else 100)
    params = dict(n_components=16, batch_size=100, random_state=0)

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "train.npy"
        np.save(path, X_train)
        streamed = fit_stream(
            Autoencoder(**params),
            np.load(path, mmap_mode="r"),
            n_epochs=n_epochs,
            chunk_size=chunk_size,
        )
    in_memory = Autoencoder(**params, max_iter=n_epochs, tol=0.0, n_iter_no_change=n_epochs + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        in_memory.fit(X_train)

    n_chunks = len(streamed.net_.history) // n_epochs  # one epoch of the net per chunk
    errors = {
        label: float(np.mean(model.reconstruction_error(X_test)))
        for label, model in (("fit_stream", streamed), ("fit", in_memory))
    }
    print(f"{name}: {len(X_train)} training rows, {n_epochs} passes, {n_chunks} chunks per pass")
    for label, error in errors.items():
        print(f"held-out reconstruction MSE, {label:<10} {error:.5f}")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    LossCurveDisplay.from_estimator(in_memory, ax=left, log_scale=True)
    left.set_title(f"fit: {n_epochs} epochs over all {len(X_train)} rows")
    LossCurveDisplay.from_estimator(streamed, ax=right, log_scale=True)
    right.set_xlabel(f"pass ({n_chunks} chunks each)")
    right.set_title(f"fit_stream: {n_epochs} passes in chunks of {chunk_size} rows")
    fig.suptitle(
        f"{name}: held-out MSE {errors['fit_stream']:.4f} streamed, {errors['fit']:.4f} in memory"
    )

    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    figure = output / "streaming.png"
    fig.savefig(figure, dpi=100)
    print(f"Figure written to {figure}")


if __name__ == "__main__":
    main()
