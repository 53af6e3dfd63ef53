"""
Autoencoder codes as features for a classifier
===============================================

Dimensionality reduction inside a scikit-learn :class:`~sklearn.pipeline.Pipeline`:
``MinMaxScaler -> Autoencoder -> LogisticRegression``. The autoencoder
ignores ``y`` (it learns its codes without labels); the classifier after it
sees only the codes. The same pipeline with :class:`~sklearn.decomposition.PCA`
in place of the autoencoder, and the classifier on the raw pixels, are the
baselines. The figure shows held-out accuracy against the code size.

MNIST when a data folder is given (``--data`` or ``SKAE_DATA``; the first
10,000 training images), otherwise scikit-learn's 8x8 digits.
``SKAE_FAST_EXAMPLES=1`` trains for a few epochs only. The quick build of
these pages runs that way: each autoencoder trains for 2 epochs, too few to
learn useful codes, so there its accuracies are only indicative.

Run it from the project's root::

    python examples/plot_pipeline_classifier.py [--data ../shared/data] [--output DIR]
"""

# %%
# The data
# --------
# Images as rows of pixels, with their digit labels, split into training
# and held-out test sets. Each data set comes with its own list of code
# sizes to try.

import argparse
import os
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skae import Autoencoder
from skae.datasets import DATA_ENV, load_mnist


def load(data):
    data = data or os.environ.get(DATA_ENV)
    if data:
        X_train, y_train = load_mnist(data, split="train")
        X_test, y_test = load_mnist(data, split="test")
        return "MNIST", X_train[:10_000], X_test, y_train[:10_000], y_test, (8, 16, 32, 64)
    print(f"No data folder given (--data or {DATA_ENV}): using scikit-learn's 8x8 digits.")
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    return "digits", X_train, X_test, y_train, y_test, (2, 4, 8, 16, 32)


# ``--data`` is the folder holding MNIST, ``--output`` the folder for the figure.
parser = argparse.ArgumentParser(description="Autoencoder codes as features for a classifier.")
parser.add_argument("--data", help=f"folder holding mnist/ (default: ${DATA_ENV})")
parser.add_argument("--output", default="example_output", help="folder for the figure")
args, _ = parser.parse_known_args()
fast = bool(os.environ.get("SKAE_FAST_EXAMPLES"))

name, X_train, X_test, y_train, y_test, sizes = load(args.data)
split = (X_train, X_test, y_train, y_test)

# %%
# The classifier on the raw pixels
# --------------------------------
# ``accuracy`` fits a pipeline on the training set and returns its share
# of correctly classified test images; it silences the
# ``ConvergenceWarning`` that the autoencoders below raise, as they train
# for a fixed number of epochs. The first baseline scales the raw pixels to
# [0, 1] and gives all of them to the logistic regression.


def accuracy(model, X_train, X_test, y_train, y_test):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    return float(model.score(X_test, y_test))


classifier = LogisticRegression(max_iter=2000)
raw = accuracy(make_pipeline(MinMaxScaler(), classifier), *split)
print(f"{name}: held-out accuracy of LogisticRegression on {X_train.shape[1]} raw features:")
print(f"  raw features {raw:.3f}")

# %%
# Codes from PCA and from the autoencoder
# ---------------------------------------
# At each code size, the same pipeline is fit twice, with PCA and with an
# autoencoder between the scaler and the classifier. ``Pipeline.fit``
# passes ``y`` to every step, but the reducers fit on the pixels alone;
# only the classifier uses the labels, and it sees nothing but the codes.
# The table has one row per code size.

print(f"{'code size':>10}{'PCA':>8}{'Autoencoder':>13}")
results = {"PCA": [], "Autoencoder": []}
for n_components in sizes:
    autoencoder = Autoencoder(
        n_components,
        hidden_layer_sizes=(256,) if name == "MNIST" else (64,),
        max_iter=2 if fast else (30 if name == "MNIST" else 150),
        random_state=0,
    )
    for label, reducer in (("PCA", PCA(n_components)), ("Autoencoder", autoencoder)):
        model = make_pipeline(MinMaxScaler(), reducer, classifier)
        results[label].append(accuracy(model, *split))
    print(f"{n_components:>10}{results['PCA'][-1]:>8.3f}{results['Autoencoder'][-1]:>13.3f}")

# %%
# Accuracy against code size
# --------------------------
# One line per reducer, and the raw-pixel baseline as a dashed line. The
# gap between a line and the baseline is what the classifier loses by
# seeing the codes instead of all the pixels; where the autoencoder's line
# lies above PCA's, its codes keep more of what tells the digits apart.

fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
for label, values in results.items():
    ax.plot(sizes, values, marker="o", label=f"{label} -> LogisticRegression")
ax.axhline(raw, color="0.4", linestyle="--", label="LogisticRegression on raw features")
ax.set_xscale("log", base=2)
ax.set_xticks(sizes, [str(s) for s in sizes])
ax.set_xlabel("code size (n_components)")
ax.set_ylabel("held-out accuracy")
ax.set_title(f"{name}: codes learned without labels, then a linear classifier")
ax.legend()

output = Path(args.output)
output.mkdir(parents=True, exist_ok=True)
figure = output / "pipeline_classifier.png"
fig.savefig(figure, dpi=100)
print(f"Figure written to {figure}")
