"""Anomaly detection on ADBench's classical tabular sets: skae against PyOD and scikit-learn.

The protocol (ADBench's, as in its paper): for each data set and each seed in
1, 2, 3, a stratified 70/30 split; a ``StandardScaler`` fit on the training
part, which keeps its anomalies (training is unsupervised and contaminated);
each detector fit on the scaled training part and scored on the scaled test
part. A training part of more than 50,000 rows is replaced by a stratified
random subsample of 50,000 of its rows (seeded by the split's seed); the test
part is always whole. Printed per data set and as means: ROC-AUC and average
precision of the anomaly scores (labels are used only here), and fit + score
time.

Held-out discipline: every set belongs to one of two halves, by a rule fixed
before any default was chosen (:func:`half`: the parity of the first byte of
the SHA-256 of the set's name). Defaults are chosen on the *selection* half
only; the *confirmation* half is run to confirm a choice, never to make one.
``--all`` runs the selection half unless ``--half confirmation`` or ``--half
both`` is given, and the tables are printed per half.

Detectors, each with its defaults:

* ``skae`` is ``skae.Autoencoder()``, the out-of-the-box detector; the other
  skae variants follow (``skae-sparse``, ``skae-denoising``, ``skae-vae``);
* ``pyod-ae`` and ``pyod-vae``: PyOD's ``AutoEncoder`` and ``VAE`` (skipped
  when PyOD is not installed);
* ``iforest``: scikit-learn's ``IsolationForest``;
* ``pca``: PCA's reconstruction error, half the components;
* ``lof``: ``LocalOutlierFactor(novelty=True)``;
* ``knn5``: the distance to the 5th nearest training row; ``knn10``: the mean
  distance to the 10 nearest (both on the scaled input).

Robustness (``--grid``): ``skae.Autoencoder``'s default score, and the
reconstruction error of the same fitted network, for every ``n_components``
in {4, 8, 16} and ``hidden_layer_sizes`` in {(32,), (64,), (128, 64)}, all
else default; printed per set: the ROC-AUC (mean over seeds) of each of the
nine networks, and its standard deviation over them. ``--max-rows`` skips
the larger sets (nine fits each).

    python benchmarks/bench_anomaly.py [--data ../shared/data] [--datasets cardio thyroid ...]
        [--all [--half selection|confirmation|both]] [--detectors skae iforest ...]
        [--seeds 1 2 3] [--grid [--max-rows 20000]]

Without ``--datasets`` or ``--all``, it runs ADBench's eight-set suite. The
data folder defaults to ``SKAE_DATA``, else ``../shared/data`` beside the
project; the script says so and exits with status 2 when it is absent.
"""

import argparse
import hashlib
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import LocalOutlierFactor
from sklearn.preprocessing import StandardScaler

import skae
from skae.datasets import DATA_ENV

EIGHT = ["cardio", "thyroid", "satimage-2", "pendigits", "mnist", "letter", "vowels", "Waveform"]
MAX_TRAIN = 50_000
HALVES = ("selection", "confirmation")


def half(name):
    """The half a data set belongs to, by a rule that no choice can move."""
    return HALVES[hashlib.sha256(name.encode()).digest()[0] % 2]


def default_data():
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV])
    return Path(__file__).resolve().parents[2] / "shared" / "data"


def find_sets(folder):
    """Map ADBench names (``6_cardio.npz`` -> ``cardio``) to their files."""
    return {p.stem.split("_", 1)[1]: p for p in sorted(folder.glob("*.npz"))}


class PCAError:
    """PCA reconstruction error as an anomaly score (higher = more anomalous)."""

    def fit(self, X):
        self.pca_ = PCA(n_components=max(1, X.shape[1] // 2), random_state=0).fit(X)
        return self

    def anomaly_score(self, X):
        return np.square(X - self.pca_.inverse_transform(self.pca_.transform(X))).mean(axis=1)


def estimator_detector(model):
    """Wrap a scikit-learn-style outlier detector: scores and ``predict``'s flags."""

    class Detector:
        def fit(self, X):
            model.fit(X)
            return self

        def anomaly_score(self, X):
            return -model.score_samples(X)

        def flags(self, X):
            return model.predict(X) == -1

    return Detector()


class KNNDistance:
    """Distance to the ``k``-th nearest training row, or the mean over the ``k`` nearest."""

    def __init__(self, k, mean):
        self.k, self.mean = k, mean

    def fit(self, X):
        from sklearn.neighbors import NearestNeighbors

        self.search_ = NearestNeighbors(n_neighbors=self.k).fit(X)
        return self

    def anomaly_score(self, X):
        distances = self.search_.kneighbors(X)[0]
        return distances.mean(axis=1) if self.mean else distances[:, -1]


def skae_detector(cls, seed):
    return estimator_detector(cls(random_state=seed))


def pyod_detector(name, seed):
    if name == "pyod-ae":
        from pyod.models.auto_encoder import AutoEncoder as Model
    else:
        from pyod.models.vae import VAE as Model
    model = Model(random_state=seed, verbose=0)

    class Detector:
        def fit(self, X):
            model.fit(X)
            return self

        def anomaly_score(self, X):
            return model.decision_function(X)

    return Detector()


DETECTORS = {
    "skae": lambda seed: skae_detector(skae.Autoencoder, seed),
    "skae-sparse": lambda seed: skae_detector(skae.SparseAutoencoder, seed),
    "skae-denoising": lambda seed: skae_detector(skae.DenoisingAutoencoder, seed),
    "skae-vae": lambda seed: skae_detector(skae.VariationalAutoencoder, seed),
    "pyod-ae": lambda seed: pyod_detector("pyod-ae", seed),
    "pyod-vae": lambda seed: pyod_detector("pyod-vae", seed),
    "iforest": lambda seed: estimator_detector(IsolationForest(random_state=seed)),
    "pca": lambda seed: PCAError(),
    "lof": lambda seed: estimator_detector(LocalOutlierFactor(novelty=True)),
    "knn5": lambda seed: KNNDistance(5, mean=False),
    "knn10": lambda seed: KNNDistance(10, mean=True),
}


def run_one(detector, X_train, X_test, y_test):
    """ROC-AUC, AP, seconds, and the share flagged, precision and recall of ``predict``."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)
        detector.fit(X_train)
        scores = detector.anomaly_score(X_test)
    elapsed = time.perf_counter() - start
    flagged = precision = recall = np.nan
    if hasattr(detector, "flags"):
        flags = detector.flags(X_test)
        flagged = flags.mean()
        precision = y_test[flags].mean() if flags.any() else np.nan
        recall = flags[y_test == 1].mean()
    if not np.isfinite(scores).all():
        return np.nan, np.nan, elapsed, flagged, precision, recall
    auc, ap = roc_auc_score(y_test, scores), average_precision_score(y_test, scores)
    return auc, ap, elapsed, flagged, precision, recall


def load(path):
    data = np.load(path, allow_pickle=False)
    return data["X"].astype(np.float64), data["y"].astype(int)


def split(X, y, seed):
    """The protocol's split of one seed: scaled training and test parts, test labels."""
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    if len(X_train) > MAX_TRAIN:
        X_train, _, y_train, _ = train_test_split(
            X_train, y_train, train_size=MAX_TRAIN, stratify=y_train, random_state=seed
        )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_test


GRID = [(c, h) for c in (4, 8, 16) for h in ((32,), (64,), (128, 64))]


def robustness(path, seeds):
    """ROC-AUC of the default score and of the reconstruction error, per network of GRID."""
    X, y = load(path)
    default, reconstruction = np.zeros((len(seeds), len(GRID))), np.zeros((len(seeds), len(GRID)))
    for i, seed in enumerate(seeds):
        X_train, X_test, y_test = split(X, y, seed)
        for j, (n_components, hidden) in enumerate(GRID):
            model = skae.Autoencoder(n_components, hidden_layer_sizes=hidden, random_state=seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X_train)
            default[i, j] = roc_auc_score(y_test, -model.score_samples(X_test))
            reconstruction[i, j] = roc_auc_score(y_test, model.reconstruction_error(X_test))
    return default.mean(axis=0), reconstruction.mean(axis=0)


def run_grid(names, available, seeds, max_rows):
    print(
        "ROC-AUC over the nine networks (n_components x hidden_layer_sizes), mean over "
        f"seeds {', '.join(map(str, seeds))}: the default score, then the reconstruction error"
    )
    worst = []
    for name in names:
        n_rows = len(np.load(available[name])["y"])
        if max_rows and n_rows > max_rows:
            print(f"{name}: {n_rows} rows, above --max-rows: not run")
            continue
        default, reconstruction = robustness(available[name], seeds)
        worst.append(default.std())
        print(
            f"{name} [{half(name)}]: default mean {default.mean():.3f} std {default.std():.3f} "
            f"(min {default.min():.3f}, max {default.max():.3f}); reconstruction mean "
            f"{reconstruction.mean():.3f} std {reconstruction.std():.3f}",
            flush=True,
        )
    if worst:
        print(f"largest std of the default score over the nine networks: {max(worst):.3f}")


def evaluate(path, detectors, seeds):
    X, y = load(path)
    results = {name: [] for name in detectors}
    for seed in seeds:
        X_train, X_test, y_test = split(X, y, seed)
        for name in detectors:
            results[name].append(run_one(DETECTORS[name](seed), X_train, X_test, y_test))
    # mean over seeds of (ROC-AUC, AP, seconds, flagged, precision, recall); NaN where
    # a detector has no predict or flagged nothing in every seed
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        means = {name: np.nanmean(rows, axis=0) for name, rows in results.items()}
    return means, X.shape, y.mean()


def print_table(title, table, columns, digits=3):
    if not table:
        return
    print(f"\n{title}")
    widths = {c: max(6, len(c)) + 2 for c in columns}
    first = max(14, max(len(name) for name in table) + 2)
    header = f"{'data set':<{first}}" + "".join(f"{c:>{widths[c]}}" for c in columns)
    print(header)
    print("-" * len(header))
    for name, row in table.items():
        print(f"{name:<{first}}" + "".join(f"{row[c]:>{widths[c]}.{digits}f}" for c in columns))
    means = {c: np.nanmean([row[c] for row in table.values()]) for c in columns}
    print("-" * len(header))
    print(f"{'mean':<{first}}" + "".join(f"{means[c]:>{widths[c]}.{digits}f}" for c in columns))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=None, help=f"default: ${DATA_ENV}")
    parser.add_argument("--datasets", nargs="+", default=None, help="default: the eight")
    parser.add_argument("--all", action="store_true", help="every set of one half (see --half)")
    parser.add_argument("--half", choices=[*HALVES, "both"], default="selection")
    parser.add_argument("--detectors", nargs="+", default=list(DETECTORS), choices=DETECTORS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--grid", action="store_true", help="the default's robustness grid")
    parser.add_argument("--max-rows", type=int, default=None, help="with --grid: skip larger sets")
    args = parser.parse_args(argv)
    folder = (args.data or default_data()) / "adbench_classical"
    if not folder.is_dir():
        print(f"ADBench folder {folder} not found: pass --data or set {DATA_ENV}.")
        return 2
    available = find_sets(folder)
    detectors = list(args.detectors)
    if any(d.startswith("pyod") for d in detectors) and not _has_pyod():
        print("PyOD is not installed: skipping pyod-ae and pyod-vae.")
        detectors = [d for d in detectors if not d.startswith("pyod")]

    if args.all:
        names = [n for n in available if args.half in ("both", half(n))]
    else:
        names = args.datasets or EIGHT
    missing = [n for n in names if n not in available]
    if missing:
        print(f"Not in {folder}: {', '.join(missing)}. Available: {', '.join(available)}")
        return 2

    if args.grid:
        run_grid(names, available, args.seeds, args.max_rows)
        return 0

    auc, ap, seconds, thresholds = {}, {}, {}, {}
    flaggers = [d for d in ("skae", "iforest") if d in detectors]
    for name in names:
        result, shape, prevalence = evaluate(available[name], detectors, args.seeds)
        auc[name] = {d: r[0] for d, r in result.items()}
        ap[name] = {d: r[1] for d, r in result.items()}
        seconds[name] = {d: r[2] for d, r in result.items()}
        thresholds[name] = {"anomalies": prevalence}
        for d in flaggers:
            thresholds[name].update(
                {f"{d} flagged": result[d][3], f"{d} prec": result[d][4], f"{d} rec": result[d][5]}
            )
        line = "  ".join(f"{d} {auc[name][d]:.3f}" for d in detectors)
        print(f"{name} {shape} [{half(name)}]: ROC-AUC {line}", flush=True)

    seeds = ", ".join(map(str, args.seeds))
    for part in HALVES:
        rows = [n for n in names if half(n) == part]
        if not rows:
            continue
        title = f"{part} half, {len(rows)} set(s)"

        def of(table, rows=rows):
            return {n: table[n] for n in rows}

        print_table(f"{title}: ROC-AUC (mean over seeds {seeds})", of(auc), detectors)
        print_table(f"{title}: average precision", of(ap), detectors)
        print_table(f"{title}: fit + score seconds (mean over seeds)", of(seconds), detectors)
        if flaggers:
            print_table(
                f"{title}: predict() with contamination='auto' on the test part: share of "
                "anomalies, share flagged, precision and recall of the flags",
                of(thresholds),
                list(next(iter(thresholds.values()))),
            )
    if "skae" in detectors:
        total_skae = sum(row["skae"] for row in seconds.values())
        for peer in ("pyod-ae", "iforest"):
            if peer in detectors:
                total_peer = sum(row[peer] for row in seconds.values())
                print(f"total time skae / {peer}: {total_skae / total_peer:.2f}")
    return 0


def _has_pyod():
    try:
        import pyod  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
