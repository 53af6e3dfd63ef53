"""
Training on data larger than memory
===================================

:func:`skae.fit_stream` trains an autoencoder chunk by chunk, so the data
never has to fit in memory: here from a ``.npy`` file opened as a memory
map, in chunks of 300 rows, for several passes. The same model trained with
``fit`` on the whole array, for the same number of passes and optimizer
steps, is the reference: the figure shows both training curves
(:class:`~skae.plotting.LossCurveDisplay`; a streamed model's curve has one
point per pass, the mean loss of its chunks) and the held-out
reconstruction error of each.

The data are scikit-learn's 8x8 digits, or MNIST when a data folder is
given (``--data`` or ``SKAE_DATA``; chunks of 10,000 images), written to a
temporary ``.npy`` file first. ``SKAE_FAST_EXAMPLES=1`` runs two passes.
The quick build of these pages runs that way (100 passes in a full run on
the digits), so there both models are barely trained and the curves are
short.

Run it from the project's root::

    python examples/plot_streaming.py [--data ../shared/data] [--output DIR]
"""

# %%
# The data
# --------
# Rows of pixels in [0, 1], split into training and held-out test rows.
# Each data set comes with its chunk size: 300 rows of the digits, 10,000
# images of MNIST. Both models below share the code size, the batch size
# and the seed.

import argparse
import os
import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
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


# ``--data`` is the folder holding MNIST, ``--output`` the folder for the figure.
parser = argparse.ArgumentParser(description="Training on data larger than memory.")
parser.add_argument("--data", help=f"folder holding mnist/ (default: ${DATA_ENV})")
parser.add_argument("--output", default="example_output", help="folder for the figure")
args, _ = parser.parse_known_args()
fast = bool(os.environ.get("SKAE_FAST_EXAMPLES"))

name, X_train, X_test, chunk_size = load(args.data)
n_epochs = 2 if fast else (10 if name == "MNIST" else 100)
params = dict(n_components=16, batch_size=100, random_state=0)

# %%
# Streaming from a memory-mapped file
# -----------------------------------
# The training rows are written to a ``.npy`` file in a temporary folder,
# standing in for a file too large to load. ``np.load(..., mmap_mode="r")``
# opens it as a memory map, which reads rows from disk only when they are
# used. :func:`skae.fit_stream` slices it into chunks of ``chunk_size``
# rows and calls ``partial_fit`` on each in turn, for ``n_epochs`` passes;
# the optimizer's state carries over from chunk to chunk, and only one
# chunk is in memory at a time.

with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "train.npy"
    np.save(path, X_train)
    streamed = fit_stream(
        Autoencoder(**params),
        np.load(path, mmap_mode="r"),
        n_epochs=n_epochs,
        chunk_size=chunk_size,
    )

# %%
# The reference: ``fit`` on the whole array
# -----------------------------------------
# The same model, fit on the array in memory for as many epochs as the
# stream made passes. ``tol=0.0`` and ``n_iter_no_change=n_epochs + 1``
# keep it from stopping early, so both models see every row the same
# number of times. The ``ConvergenceWarning`` this raises is silenced.

in_memory = Autoencoder(**params, max_iter=n_epochs, tol=0.0, n_iter_no_change=n_epochs + 1)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    in_memory.fit(X_train)

# %%
# Held-out error of both
# ----------------------
# Each ``partial_fit`` call runs one epoch of the network on its chunk, so
# the streamed network's history has one entry per chunk, and dividing its
# length by the number of passes gives the chunks per pass. The mean
# reconstruction error on the test rows compares the two ways of training.

n_chunks = len(streamed.net_.history) // n_epochs  # one epoch of the net per chunk
errors = {
    label: float(np.mean(model.reconstruction_error(X_test)))
    for label, model in (("fit_stream", streamed), ("fit", in_memory))
}
print(f"{name}: {len(X_train)} training rows, {n_epochs} passes, {n_chunks} chunks per pass")
for label, error in errors.items():
    print(f"held-out reconstruction MSE, {label:<10} {error:.5f}")

# %%
# The training curves
# -------------------
# Left, the training loss of ``fit`` after each epoch over all the rows;
# right, that of ``fit_stream`` after each pass, the mean of its chunks'
# losses weighted by their rows. The title repeats both held-out errors.

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
