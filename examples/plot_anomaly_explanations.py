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

    python examples/plot_anomaly_explanations.py [--output DIR]

``SKAE_FAST_EXAMPLES=1`` trains for a few epochs only.
"""

import argparse
import os
import warnings
from pathlib import Path

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


def plot(detector, X, is_malignant, positions, path):
    """The score histogram with its threshold, and the top anomalies' features."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(12, 8), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[1, 1.2])
    labels = np.where(is_malignant, "malignant", "benign")
    AnomalyScoreDisplay.from_estimator(
        detector, X, labels, bins=40, density=True, ax=top.subplots()
    )
    display = FeatureErrorDisplay.from_estimator(
        detector, X, indices=positions, n_features=3, ax=bottom.subplots(2, 3)
    )
    for ax, position in zip(display.axes_.ravel(), positions):
        ax.set_title(f"sample {X.index[position]} ({labels[position]})", fontsize=9)
    bottom.suptitle("The three measurements behind each of the six top anomalies")
    fig.savefig(path, dpi=100)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", default="example_output", help="folder for the figure")
    args = parser.parse_args(argv)
    fast = bool(os.environ.get("SKAE_FAST_EXAMPLES"))

    X, is_malignant = load()
    X_scaled = StandardScaler().set_output(transform="pandas").fit_transform(X)
    detector = Autoencoder(contamination=N_ANOMALIES / len(X), random_state=0)
    if fast:
        detector.set_params(max_iter=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        detector.fit(X_scaled)

    scores = detector.score_samples(X_scaled)
    flagged = detector.predict(X_scaled) == -1
    forest = IsolationForest(random_state=0).fit(X_scaled)
    print(
        f"{len(X)} tumours, {N_ANOMALIES} malignant; ROC-AUC of -score_samples: "
        f"{roc_auc_score(is_malignant, -scores):.3f} (reconstruction error alone: "
        f"{roc_auc_score(is_malignant, detector.reconstruction_error(X_scaled)):.3f}, "
        f"IsolationForest: {roc_auc_score(is_malignant, -forest.score_samples(X_scaled)):.3f}); "
        f"flagged {flagged.sum()}, of which {(flagged & is_malignant).sum()} malignant"
    )

    errors = detector.reconstruction_error(X_scaled, per_feature=True)
    order = np.argsort(scores)[:N_SHOWN]
    top = errors.iloc[order]
    labels = pd.Series(is_malignant, index=X.index)
    print("Top anomalies and the 3 features with the largest reconstruction error:")
    for index, row in top.iterrows():
        kind = "malignant" if labels[index] else "benign"
        features = ", ".join(f"{name} ({value:.1f})" for name, value in row.nlargest(3).items())
        print(f"  sample {index:>3} ({kind:>9}): {features}")

    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    figure = output / "anomaly_explanations.png"
    plot(detector, X_scaled, is_malignant, order, figure)
    print(f"Figure written to {figure}")


if __name__ == "__main__":
    main()
