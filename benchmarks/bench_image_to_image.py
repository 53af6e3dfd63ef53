"""Image-to-image: EncoderDecoderRegressor against the linear map and kNN on MNIST-like pairs.

Three tasks on MNIST and Fashion-MNIST, each a set of (input, target) pairs
built from the same images:

* ``inpaint``: the lower 14 rows of each input set to 0, the target intact;
* ``superres``: the input averaged over 2 x 2 blocks (14 x 14), the target
  the 28 x 28 image;
* ``denoise``: the input with Gaussian noise of standard deviation 0.5
  added and clipped to [0, 1], drawn once with a fixed seed, the target
  clean.

Each model is fitted on the first ``--n-train`` training images and scored
on the first ``--n-test`` test images by the PSNR in dB,
``10 log10(1 / MSE)`` over all test pixels (in [0, 1]), beside its fit time
on this machine and its ratio to the linear map's. The models:

* ``skae``: ``EncoderDecoderRegressor(max_iter=EPOCHS, random_state=0)``,
  the defaults but the number of epochs (5 unless ``--epochs``); with
  images on both sides, the default ``skip_connections="auto"`` is a U-Net;
* ``skae-plain``: the same with ``skip_connections=False``, no skips;
* ``ridge``: ``Ridge(alpha=1.0)`` on the flattened pixels, the linear map;
* ``knn``: ``KNeighborsRegressor()`` (5 neighbours) on the flattened pixels;
* ``input``: the input itself, where it has the target's shape.

The target (the paired encoder-decoder issue): the default ``skae`` at least
1.5 dB above the linear map on each task, within 5 epochs. The script prints
MET or MISSED for each and exits with status 1 when one is missed.

    python benchmarks/bench_image_to_image.py [--data ../shared/data]
        [--datasets mnist fashion-mnist] [--tasks inpaint superres denoise]
        [--models skae skae-plain ridge knn input] [--n-train 20000]
        [--n-test 2000] [--epochs 5] [--device cpu] [--split test]
        [--set learning_rate_init=0.003]

``--split selection`` is for choosing defaults without the test images: it
trains on training images 20,000 to 20,000 + ``--n-train`` and scores on the
last ``--n-test`` training images. ``--set NAME=VALUE`` (repeatable) changes
a parameter of both skae models, for such a comparison; the tables of the
benchmark page use neither.

The data folder defaults to ``SKAE_DATA``, else ``../shared/data`` beside the
project; the script says so and exits with status 2 when it is absent.
"""

import argparse
import ast
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.neighbors import KNeighborsRegressor

from skae import EncoderDecoderRegressor
from skae.datasets import DATA_ENV, load_fashion_mnist, load_mnist

LOADERS = {"mnist": load_mnist, "fashion-mnist": load_fashion_mnist}
TASKS = ("inpaint", "superres", "denoise")
MODELS = ("skae", "skae-plain", "ridge", "knn", "input")
TARGET_DB = 1.5
NOISE = 0.5


def default_data():
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV])
    return Path(__file__).resolve().parents[2] / "shared" / "data"


def make_pairs(images, task, seed):
    """The (input, target) pairs of ``task`` from images of shape (n, 28, 28)."""
    if task == "inpaint":
        X = images.copy()
        X[:, images.shape[1] // 2 :] = 0
    elif task == "superres":
        n, h, w = images.shape
        X = images.reshape(n, h // 2, 2, w // 2, 2).mean(axis=(2, 4))
    elif task == "denoise":
        noise = np.random.default_rng(seed).normal(0.0, NOISE, images.shape)
        X = np.clip(images + noise, 0, 1).astype(images.dtype)
    else:
        raise ValueError(f"unknown task {task!r}; choose from {TASKS}")
    return X, images


def parse_setting(item):
    """``"name=value"`` as ``(name, value)``, the value read as a Python literal if it is one."""
    name, sep, value = item.partition("=")
    if not sep:
        raise SystemExit(f"--set takes NAME=VALUE, got {item!r}")
    try:
        return name, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return name, value


def psnr(prediction, target):
    mse = float(np.mean((np.asarray(prediction, np.float64) - target) ** 2))
    return 10 * np.log10(1 / mse)


def fit_predict(model, X, Y, X_test, args):
    """Fit ``model`` on the pairs and predict the test targets; returns (images, seconds)."""
    flat = lambda A: A.reshape(len(A), -1)  # noqa: E731
    if model == "input":
        return X_test, 0.0
    start = time.perf_counter()
    if model in ("ridge", "knn"):
        estimator = Ridge(alpha=1.0) if model == "ridge" else KNeighborsRegressor()
        estimator.fit(flat(X), flat(Y))
        seconds = time.perf_counter() - start
        return estimator.predict(flat(X_test)).reshape(len(X_test), *Y.shape[1:]), seconds
    params = {"max_iter": args.epochs, "device": args.device, "random_state": 0}
    if model == "skae-plain":
        params["skip_connections"] = False
    estimator = EncoderDecoderRegressor(**params).set_params(**args.set)
    with warnings.catch_warnings():
        # a few epochs are what the target asks for, not a convergence
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(X, Y)
    seconds = time.perf_counter() - start
    return estimator.predict(X_test), seconds


def run(args):
    rows = []
    for name in args.datasets:
        train, _ = LOADERS[name](args.data, split="train", images=True)
        test, _ = LOADERS[name](args.data, split="test", images=True)
        if args.split == "selection":
            # training images only: the test images play no part in a choice
            train, test = train[20000 : 20000 + args.n_train], train[-args.n_test :]
        else:
            train, test = train[: args.n_train], test[: args.n_test]
        for task in args.tasks:
            X, Y = make_pairs(train, task, seed=0)
            X_test, Y_test = make_pairs(test, task, seed=1)
            for model in args.models:
                if model == "input" and X.shape != Y.shape:
                    continue
                prediction, seconds = fit_predict(model, X, Y, X_test, args)
                rows.append((name, task, model, psnr(prediction, Y_test), seconds))
                print(
                    f"  {name:14s} {task:9s} {model:10s} {rows[-1][3]:6.2f} dB {seconds:7.1f} s",
                    flush=True,
                )
    return rows


def report(rows):
    print("\n| data | task | model | PSNR (dB) | fit (s) | time / ridge |")
    print("|---|---|---|---|---|---|")
    ridge = {(d, t): (p, s) for d, t, m, p, s in rows if m == "ridge"}
    for d, t, m, p, s in rows:
        base = ridge.get((d, t))
        ratio = f"{s / base[1]:.1f}" if base and base[1] > 0 and m != "input" else ""
        print(f"| {d} | {t} | {m} | {p:.2f} | {s:.1f} | {ratio} |")
    missed = 0
    print(f"\nTarget: skae's PSNR at least {TARGET_DB} dB above ridge's on each task")
    for d, t, m, p, _ in rows:
        if m != "skae" or (d, t) not in ridge:
            continue
        gap = p - ridge[(d, t)][0]
        verdict = "MET" if gap >= TARGET_DB else "MISSED"
        missed += verdict == "MISSED"
        print(f"  {d} {t}: {gap:+.2f} dB  {verdict}")
    return missed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--datasets", nargs="+", default=list(LOADERS), choices=list(LOADERS))
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=TASKS)
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--n-train", type=int, default=20000)
    parser.add_argument("--n-test", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--split", default="test", choices=("test", "selection"))
    parser.add_argument(
        "--set", nargs="*", default=[], metavar="NAME=VALUE", help="a skae parameter"
    )
    args = parser.parse_args(argv)
    args.set = dict(parse_setting(item) for item in args.set)
    args.data = args.data or default_data()
    if not args.data.exists():
        print(f"Data folder {args.data} not found: pass --data or set {DATA_ENV}.")
        return 2
    print(
        f"{args.n_train} training and {args.n_test} {args.split} images, {args.epochs} epochs"
        + (f", skae with {args.set}" if args.set else "")
    )
    rows = run(args)
    missed = report(rows)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
