"""When training should stop: the stopping rules and batch rules behind the defaults.

Each table is split 70/30 (seeded), scaled on its training part, and
``Autoencoder()`` with its defaults but the batch size, ``max_iter=EPOCHS``
and no stopping is trained on the training part (at most ``--max-rows``
rows, a seeded subsample) while a callback records, after every epoch, the
training loss and the held-out reconstruction error. It is trained twice,
with each batch rule:

* ``auto``: ``min(200, n_rows)``, scikit-learn's MLP rule (skae's default
  before this study);
* ``tenth``: ``min(200, n_rows, max(32, n_rows // 10))``, a tenth of the
  rows from 32 to 200 (skae's default since).

Each candidate stopping rule is then replayed on the recorded training
losses (training is deterministic, so stopping at epoch ``e`` gives the
weights recorded at ``e``):

* ``abs`` ``tol``: skorch's ``EarlyStopping`` with ``threshold_mode="abs"``,
  scikit-learn's MLP rule: stop after ``n_iter_no_change`` (10) epochs
  without the loss falling ``tol`` below its last improvement;
* ``rel`` ``tol``: the same with ``threshold_mode="rel"``: without it falling
  below ``(1 - tol)`` times its last improvement, the same on data of any
  scale (skae's rule, with ``tol=1e-2``).

For each table and candidate: the epoch it stops at (``-`` when it does not
stop by ``--max-iter``, the default's 200, where a fit warns), and its
held-out error over the error of ``auto`` batches after ``--max-iter``
epochs (below 1: better than training MLP's way for 200 epochs); the
summary gives, per candidate, how many tables stopped, the median and worst
error ratio and the median ratio of training time. The tables are
scikit-learn's bundled breast cancer, wine, diabetes and digits
(``--sets bundled``) and ADBench's classical sets of one half
(``bench_anomaly.half``): the defaults were chosen on ``bundled`` and
``selection`` and confirmed on ``confirmation``.

    python benchmarks/bench_convergence.py [--data ../shared/data]
        [--sets bundled selection confirmation] [--epochs 600] [--max-iter 200]
        [--max-rows 3000]
"""

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback

from skae import Autoencoder
from skae._fitting import auto_batch_size

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_anomaly import default_data, find_sets, half, load  # the same halves and files

RULES = [("abs", 1e-4), ("rel", 3e-3), ("rel", 5e-3), ("rel", 1e-2)]
BATCH_RULES = ("auto", "tenth")
PATIENCE = 10
BUNDLED = {
    "breast_cancer": datasets.load_breast_cancer,
    "wine": datasets.load_wine,
    "diabetes": datasets.load_diabetes,
    "digits": datasets.load_digits,
}


class HeldOutError(Callback):
    """Records the held-out mean squared reconstruction error after every epoch."""

    def __init__(self, X):
        self.X = X

    def on_epoch_end(self, net, **kwargs):
        module = net.module_
        with torch.no_grad():
            reconstruction = module(torch.as_tensor(self.X, dtype=torch.float32))[0]
        error = float(torch.mean((reconstruction - torch.as_tensor(self.X)) ** 2))
        net.history.record("held_out_error", error)


def stop_epoch(losses, mode, tol, patience=PATIENCE):
    """The epoch (from 1) at which skorch's ``EarlyStopping`` rule stops, or None."""
    threshold, misses = np.inf, 0
    for epoch, loss in enumerate(losses, start=1):
        if loss < threshold:
            misses = 0
            threshold = loss * (1 - tol) if mode == "rel" else loss - tol
        else:
            misses += 1
            if misses >= patience:
                return epoch
    return None


def tables(names, folder, max_rows):
    """(name, X_train, X_test) for each table asked for."""
    for group in names:
        if group == "bundled":
            for name, loader in BUNDLED.items():
                yield name, *_split(loader().data.astype(np.float64), max_rows)
            continue
        for name, path in sorted(find_sets(folder / "adbench_classical").items()):
            if half(name) == group:
                yield name, *_split(load(path)[0], max_rows)


def _split(X, max_rows):
    X_train, X_test = train_test_split(X, test_size=0.3, random_state=0)
    if len(X_train) > max_rows:
        X_train = X_train[np.random.default_rng(0).permutation(len(X_train))[:max_rows]]
    X_test = X_test[:max_rows]
    scaler = StandardScaler().fit(X_train)
    keep = scaler.scale_ > 0
    return (
        scaler.transform(X_train)[:, keep].astype(np.float32),
        scaler.transform(X_test)[:, keep].astype(np.float32),
    )


def batch_size(rule, n_rows):
    """The batch size of a batch rule for ``n_rows`` training rows."""
    if rule == "auto":  # skae's default before this study, and MLP's
        return min(200, n_rows)
    return auto_batch_size(n_rows)


def trajectory(X_train, X_test, rule, epochs):
    """Training losses, held-out errors and seconds per epoch of one long run."""
    model = Autoencoder(
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        batch_size=batch_size(rule, len(X_train)),
        callbacks=[HeldOutError(X_test)],
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train)
    seconds = sum(model.net_.history[:, "dur"]) / epochs
    return model.loss_curve_, model.net_.history[:, "held_out_error"], seconds


def run(args):
    candidates = [(b, mode, tol) for b in BATCH_RULES for mode, tol in RULES]
    names = [f"{b}/{mode} {tol:g}" for b, mode, tol in candidates]
    print(
        f"per table: stop epoch (- = none by {args.max_iter}, a ConvergenceWarning) and "
        f"held-out error over that of the batch rule 'auto' after {args.max_iter} epochs"
    )
    results = []
    for name, X_train, X_test in tables(args.sets, args.data, args.max_rows):
        runs = {b: trajectory(X_train, X_test, b, args.epochs) for b in BATCH_RULES}
        reference = runs["auto"][1][args.max_iter - 1]
        row = {}
        for (b, mode, tol), label in zip(candidates, names):
            losses, errors, seconds = runs[b]
            epoch = stop_epoch(losses, mode, tol)
            stopped = epoch if epoch is not None and epoch <= args.max_iter else None
            ended = stopped or args.max_iter
            row[label] = (stopped, errors[ended - 1] / reference, ended * seconds)
        base_time = row[names[0]][2]
        row = {k: (e, r, t / base_time) for k, (e, r, t) in row.items()}
        results.append(row)
        cells = " ".join(f"{label}: {row[label][0] or '-'} {row[label][1]:.3f}" for label in names)
        print(f"{name:20s} {len(X_train):5d} | {cells}", flush=True)
    print(
        f"\n{'candidate':18s} {'stopped by ' + str(args.max_iter):>16s} "
        f"{'median error ratio':>19s} {'worst':>6s} {'median time ratio':>18s}"
    )
    for label in names:
        stops = [row[label][0] for row in results]
        ratios = [row[label][1] for row in results]
        times = [row[label][2] for row in results]
        share = f"{sum(s is not None for s in stops)} of {len(stops)}"
        print(
            f"{label:18s} {share:>16s} {np.median(ratios):19.3f} {max(ratios):6.3f} "
            f"{np.median(times):18.2f}"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None)
    parser.add_argument(
        "--sets",
        nargs="+",
        default=["bundled", "selection"],
        choices=["bundled", "selection", "confirmation"],
    )
    parser.add_argument("--epochs", type=int, default=600)
    parser.add_argument("--max-iter", type=int, default=200)
    parser.add_argument("--max-rows", type=int, default=3000)
    args = parser.parse_args(argv)
    args.data = Path(args.data) if args.data else default_data()
    if {"selection", "confirmation"} & set(args.sets) and not args.data.exists():
        print(f"Data folder {args.data} not found: pass --data, or use --sets bundled.")
        return 2
    torch.set_num_threads(1)
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
