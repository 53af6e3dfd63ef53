"""Which feature made a row anomalous: ``explain`` against the per-feature reconstruction error.

For each table, standardised, ``skae.Autoencoder()`` with its defaults is
trained on a random half of the rows (the inliers of an ADBench set). In
each row of the other half, one feature chosen at random is shifted by +3
or -3 standard deviations (the sign at random too); an explanation *hits*
when it ranks the shifted feature first. Printed: the share of hits of
``explain`` (the contributions to the default outlier score) and of the
per-feature squared reconstruction error, for each table and seed 0, 1, 2.

    python benchmarks/bench_explain.py [--data ../shared/data] [--seeds 0 1 2] [--confirmation]

The *choice* tables, on which the way ``explain`` puts a feature back was
chosen: scikit-learn's bundled breast cancer, wine and diabetes tables, and
three ADBench sets (cardio, thyroid, pendigits: inliers only) when the data
folder is there (``--data``, else ``SKAE_DATA``, else ``../shared/data``
beside the project; the script says when it is not). ``--confirmation``
runs four other ADBench sets instead (Waveform, satellite, letter, WDBC:
inliers only), which played no part in that choice.
"""

import argparse
import os
import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

import skae
from skae.datasets import DATA_ENV

ADBENCH = {"cardio": "6_cardio.npz", "thyroid": "38_thyroid.npz", "pendigits": "28_pendigits.npz"}
CONFIRMATION = {
    "Waveform": "41_Waveform.npz",
    "satellite": "30_satellite.npz",
    "letter": "20_letter.npz",
    "WDBC": "43_WDBC.npz",
}
SHIFT = 3.0


def tables(data, confirmation=False):
    if not confirmation:
        yield "breast_cancer", load_breast_cancer().data
        yield "wine", load_wine().data
        yield "diabetes", load_diabetes().data
    folder = data / "adbench_classical"
    if not folder.is_dir():
        print(f"ADBench folder {folder} not found: the ADBench sets are skipped.")
        return
    for name, file in (CONFIRMATION if confirmation else ADBENCH).items():
        loaded = np.load(folder / file)
        yield name, loaded["X"][loaded["y"] == 0]


def hit_rates(X, seed):
    rng = np.random.default_rng(seed)
    X = StandardScaler().fit_transform(X)
    order = rng.permutation(len(X))
    train, test = X[order[: len(X) // 2]], X[order[len(X) // 2 :]].copy()
    shifted = rng.integers(X.shape[1], size=len(test))
    test[np.arange(len(test)), shifted] += SHIFT * rng.choice([-1.0, 1.0], size=len(test))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = skae.Autoencoder(random_state=seed).fit(train)
    explained = model.explain(test).argmax(axis=1)
    errors = model.reconstruction_error(test, per_feature=True).argmax(axis=1)
    return (explained == shifted).mean(), (errors == shifted).mean()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=None, help=f"default: ${DATA_ENV}")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--confirmation", action="store_true", help="the held-out tables")
    args = parser.parse_args(argv)
    data = args.data or Path(
        os.environ.get(DATA_ENV, Path(__file__).resolve().parents[2] / "shared" / "data")
    )
    print(f"{'table':<15}{'rows':>7}{'features':>10}{'explain':>10}{'per-feature error':>20}")
    means = []
    for name, X in tables(data, args.confirmation):
        rates = np.array([hit_rates(X, seed) for seed in args.seeds]).mean(axis=0)
        means.append(rates)
        print(
            f"{name:<15}{len(X):>7}{X.shape[1]:>10}{rates[0]:>10.3f}{rates[1]:>20.3f}", flush=True
        )
    mean = np.mean(means, axis=0)
    print(f"{'mean':<15}{'':>7}{'':>10}{mean[0]:>10.3f}{mean[1]:>20.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
