"""
Explaining anomalies feature by feature
=======================================

Scores anomalies in a real table, scikit-learn's breast cancer data (30
named measurements of cell nuclei): the benign tumours plus a handful of
malignant ones play the part of a mostly normal data set with a few
anomalies. An :class:`skae.Autoencoder` behind a ``StandardScaler`` is fit
without labels; ``score_samples`` (the hybrid score: how far each sample
lies from the training data, in the input space and among the codes)
ranks the samples, and
``reconstruction_error(X, per_feature=True)``, a DataFrame with the table's
column names, tells which measurements make each top anomaly hard to
reconstruct. The figure draws the scores of both groups with the
threshold ``offset_`` (:class:`~skae.plotting.AnomalyScoreDisplay`) and the
3 largest per-feature errors of the six most anomalous samples
(:class:`~skae.plotting.FeatureErrorDisplay`).

Run it from the project's root::

    python examples/plot_anomaly_explanations.py [--output DIR]

``SKAE_FAST_EXAMPLES=1`` trains for a few epochs only. The quick build of
these pages runs that way (5 epochs instead of the default), so the scores,
the per-feature errors and the figure shown there are only indicative of a
fully trained model's.
"""

# %%
# A mostly normal table with a few anomalies
# ------------------------------------------
# The breast cancer table labels each tumour benign or malignant. All the
# benign tumours are kept, and 15 malignant ones drawn at random join them
# as the anomalies. The rows keep their index in the original table, which
# names the samples below. The labels are kept aside to judge the scores;
# the autoencoder never sees them.

import argparse
import os
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import IsolationForest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

from skae import Autoencoder
from skae.plotting import AnomalyScoreDisplay, FeatureErrorDisplay

N_ANOMALIES = 15
N_SHOWN = 6


def load():
    """Benign tumours and N_ANOMALIES malignant ones, in a DataFrame."""
    data = load_breast_cancer(as_frame=True)
    frame, malignant = data.frame.drop(columns="target"), data.frame["target"] == 0
    rng = np.random.default_rng(0)
    chosen = rng.choice(np.flatnonzero(malignant), size=N_ANOMALIES, replace=False)
    keep = np.sort(np.concatenate([np.flatnonzero(~malignant), chosen]))
    return frame.iloc[keep], malignant.iloc[keep].to_numpy()


# ``--output`` is the folder for the figure.
parser = argparse.ArgumentParser(description="Explaining anomalies feature by feature.")
parser.add_argument("--output", default="example_output", help="folder for the figure")
args, _ = parser.parse_known_args()
fast = bool(os.environ.get("SKAE_FAST_EXAMPLES"))

X, is_malignant = load()

# %%
# Fitting the autoencoder without labels
# --------------------------------------
# The measurements have very different scales (areas in the hundreds,
# smoothness below 1), so a ``StandardScaler`` standardises each column
# first; its pandas output keeps the column names, which the per-feature
# errors carry later. ``contamination`` is the share of anomalies in the
# training data: it sets the threshold ``offset_`` so that this share of
# the training samples is flagged. Training stops after ``max_iter``
# epochs, so a ``ConvergenceWarning`` is expected and silenced.

X_scaled = StandardScaler().set_output(transform="pandas").fit_transform(X)
detector = Autoencoder(contamination=N_ANOMALIES / len(X), random_state=0)
if fast:
    detector.set_params(max_iter=5)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    detector.fit(X_scaled)

# %%
# How well the scores find the malignant tumours
# ----------------------------------------------
# ``score_samples`` is lower for more anomalous samples, so its negative is
# an anomaly score, and the ROC-AUC of that score against the hidden labels
# (1 is a perfect ranking, 0.5 a random one) measures how well it ranks the
# malignant tumours above the benign ones. The same is computed for the
# reconstruction error alone and for scikit-learn's ``IsolationForest``
# fit on the same table. The last numbers count the samples ``predict``
# flags as outliers, and how many of them are malignant.

scores = detector.score_samples(X_scaled)
flagged = detector.predict(X_scaled) == -1
forest = IsolationForest(random_state=0).fit(X_scaled)
print(f"{len(X)} tumours, {N_ANOMALIES} malignant")
print(f"ROC-AUC of -score_samples:         {roc_auc_score(is_malignant, -scores):.3f}")
errors = detector.reconstruction_error(X_scaled)
print(f"  of the reconstruction error alone: {roc_auc_score(is_malignant, errors):.3f}")
forest_scores = -forest.score_samples(X_scaled)
print(f"  of IsolationForest:                {roc_auc_score(is_malignant, forest_scores):.3f}")
print(f"flagged {flagged.sum()}, of which {(flagged & is_malignant).sum()} malignant")

# %%
# Which measurements make the top anomalies unusual
# -------------------------------------------------
# ``reconstruction_error(X, per_feature=True)`` returns a DataFrame of
# squared errors, one column per measurement, on the standardised scale.
# For each of the six samples with the lowest
# ``score_samples``, the three measurements the autoencoder reconstructs
# worst point at what sets the sample apart. The true label is printed
# beside each sample: some of the top anomalies may be benign tumours with
# unusual measurements.

errors = detector.reconstruction_error(X_scaled, per_feature=True)
order = np.argsort(scores)[:N_SHOWN]
top = errors.iloc[order]
labels = pd.Series(is_malignant, index=X.index)
print("Top anomalies and the 3 features with the largest reconstruction error:")
for index, row in top.iterrows():
    kind = "malignant" if labels[index] else "benign"
    print(f"  sample {index:>3} ({kind}):")
    for name, value in row.nlargest(3).items():
        print(f"      {name} ({value:.1f})")

# %%
# The figure
# ----------
# Above, :class:`~skae.plotting.AnomalyScoreDisplay` draws the histograms of
# the anomaly scores of the benign and the malignant tumours, with the
# threshold ``offset_`` that ``predict`` uses: samples beyond it are
# flagged. Below, :class:`~skae.plotting.FeatureErrorDisplay` draws, for
# each of the six top anomalies, the three measurements with the largest
# reconstruction error, the same as listed above.

fig = plt.figure(figsize=(12, 8), layout="constrained")
upper, lower = fig.subfigures(2, 1, height_ratios=[1, 1.2])
groups = np.where(is_malignant, "malignant", "benign")
AnomalyScoreDisplay.from_estimator(
    detector, X_scaled, groups, bins=40, density=True, ax=upper.subplots()
)
display = FeatureErrorDisplay.from_estimator(
    detector, X_scaled, indices=order, n_features=3, ax=lower.subplots(2, 3)
)
for ax, position in zip(display.axes_.ravel(), order):
    ax.set_title(f"sample {X_scaled.index[position]} ({groups[position]})", fontsize=9)
lower.suptitle("The three measurements behind each of the six top anomalies")

output = Path(args.output)
output.mkdir(parents=True, exist_ok=True)
figure = output / "anomaly_explanations.png"
fig.savefig(figure, dpi=100)
print(f"Figure written to {figure}")
