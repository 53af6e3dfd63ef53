"""VariationalAutoencoder on binarised MNIST: test-set negative ELBO and importance-weighted NLL.

Trains the dense ``VariationalAutoencoder`` (Bernoulli decoder) on the 60,000
MNIST training images, binarised once by drawing each pixel from a Bernoulli
with the pixel's intensity as probability (a fixed seed: the "static"
binarisation of Larochelle and Murray, 2011), and reports on the 10,000 test
images, binarised the same way:

* the fit time and the epochs run on this machine;
* the negative ELBO, ``-score_samples`` averaged (nats per image);
* the importance-weighted NLL, ``-log_likelihood(n_importance_samples=K)``
  averaged (Burda et al., 2016), with ``K >= 100``.

Published anchor, printed beside: the original VAE reproduced by pythae
reaches an NLL of 89.8 nats (on a GPU).

    python benchmarks/bench_vae.py [--data ../shared/data] [--epochs 100] [--k 1000]
        [--n-components 32] [--hidden 512 256] [--batch-size 128] [--device cpu]

Training holds out 10% of the training images and stops when their loss
has not improved for 10 epochs, keeping the best weights. The data folder
defaults to ``SKAE_DATA``, else ``../shared/data`` beside the project; the
script says so and exits with status 2 when it is absent.
"""

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning

from skae import VariationalAutoencoder
from skae.datasets import DATA_ENV, load_mnist


def default_data():
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV])
    return Path(__file__).resolve().parents[2] / "shared" / "data"


def binarise(X, seed):
    """Draw each pixel from a Bernoulli of its intensity, once."""
    return (np.random.default_rng(seed).random(X.shape, dtype=np.float32) < X).astype(np.float32)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=None, help=f"default: ${DATA_ENV}")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--k", type=int, default=1000, help="importance samples")
    parser.add_argument("--n-components", type=int, default=32)
    parser.add_argument("--hidden", type=int, nargs="+", default=[512, 256])
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--n-test", type=int, default=10000, help="test images scored")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda", "auto"])
    args = parser.parse_args(argv)
    if args.k < 1:
        parser.error("--k must be at least 1")
    data = args.data or default_data()
    if not data.is_dir():
        print(f"Data folder {data} not found: pass --data or set {DATA_ENV}.")
        return 2

    X_train = binarise(load_mnist(data, split="train")[0], seed=0)
    X_test = binarise(load_mnist(data, split="test")[0], seed=1)[: args.n_test]
    vae = VariationalAutoencoder(
        args.n_components,
        hidden_layer_sizes=tuple(args.hidden),
        loss="bce",
        batch_size=args.batch_size,
        max_iter=args.epochs,
        early_stopping=True,
        tol=0.0,
        device=args.device,
        random_state=0,
    )
    print(
        f"binarised MNIST; VariationalAutoencoder({args.n_components}, hidden "
        f"{tuple(args.hidden)}, batch {args.batch_size}), at most {args.epochs} epochs; "
        f"device {args.device}, {torch.get_num_threads()} threads"
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        vae.fit(X_train)
    fit_time = time.perf_counter() - start
    print(f"fit: {fit_time:.0f} s, {vae.n_iter_} epochs ({fit_time / vae.n_iter_:.1f} s/epoch)")

    start = time.perf_counter()
    neg_elbo = -vae.score_samples(X_test).mean()
    elbo_time = time.perf_counter() - start
    start = time.perf_counter()
    nll = -vae.log_likelihood(X_test, n_importance_samples=args.k, random_state=0).mean()
    nll_time = time.perf_counter() - start

    header = f"{'test images':>12}{'-ELBO':>9}{'NLL (K=' + str(args.k) + ')':>16}  anchor"
    print(header)
    print("-" * len(header))
    print(f"{len(X_test):>12}{neg_elbo:>9.2f}{nll:>16.2f}  pythae's VAE NLL 89.8 (GPU)")
    print(f"scoring: ELBO {elbo_time:.1f} s, importance-weighted NLL {nll_time:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
