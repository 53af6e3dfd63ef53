"""Held-out reconstruction error of skae.Autoencoder against PCA on bundled digits.

Protocol: scikit-learn's 8x8 digits scaled to [0, 1]; for each seed a 25%
held-out split (``train_test_split(random_state=seed)``); PCA and
``Autoencoder`` with the same ``n_components`` and otherwise default
parameters; the autoencoder's ``random_state`` is the seed. Prints the median
over seeds of the held-out MSE of each model, their ratio, and the median fit
times, measured in the same run.

    python benchmarks/bench_reconstruction.py [--seeds 5] [--codes 4 8 16 32]

Exits with status 1 if the autoencoder's median MSE is not below PCA's at
code size 8 (the foundation's acceptance bar).
"""

import argparse
import sys
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skae import Autoencoder


def held_out_mse(model, X):
    return float(np.mean((model.inverse_transform(model.transform(X)) - X) ** 2))


def timed_fit(model, X):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X)
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--codes", type=int, nargs="+", default=[4, 8, 16, 32])
    args = parser.parse_args(argv)

    X = load_digits().data / 16.0
    results = {
        code: {"pca": [], "ae": [], "pca_t": [], "ae_t": [], "epochs": []} for code in args.codes
    }
    for seed in range(args.seeds):
        X_train, X_test = train_test_split(X, test_size=0.25, random_state=seed)
        for code in args.codes:
            pca, ae = PCA(n_components=code), Autoencoder(n_components=code, random_state=seed)
            results[code]["pca_t"].append(timed_fit(pca, X_train))
            results[code]["ae_t"].append(timed_fit(ae, X_train))
            results[code]["pca"].append(held_out_mse(pca, X_test))
            results[code]["ae"].append(held_out_mse(ae, X_test))
            results[code]["epochs"].append(ae.n_iter_)

    print(f"Digits 8x8 in [0, 1], 25% held out, median over {args.seeds} seeds")
    header = (
        f"{'code':>5} {'PCA MSE':>9} {'AE MSE':>9} {'AE/PCA':>7} {'epochs':>7} "
        f"{'PCA fit':>9} {'AE fit':>8}"
    )
    print(header)
    print("-" * len(header))
    for code, r in results.items():
        pca_mse, ae_mse = np.median(r["pca"]), np.median(r["ae"])
        print(
            f"{code:>5} {pca_mse:>9.5f} {ae_mse:>9.5f} {ae_mse / pca_mse:>7.3f} "
            f"{np.median(r['epochs']):>7.0f} {np.median(r['pca_t']):>8.3f}s "
            f"{np.median(r['ae_t']):>7.2f}s"
        )
    if 8 in results and np.median(results[8]["ae"]) >= np.median(results[8]["pca"]):
        print("FAILED: the autoencoder does not beat PCA at code size 8")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
