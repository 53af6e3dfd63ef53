"""Training speed on a CUDA GPU against the CPU: Autoencoder on 200,000 x 100.

Fits the same ``Autoencoder`` (code 16, hidden (256, 64), batch 256, 5
epochs, no early stop) on ``--rows`` x ``--features`` float32 data with
``device="cpu"`` and ``device="cuda"``, ``--repeats`` times each, and prints
the median fit times and their ratio. ``transform`` of the same data is
timed the same way. Without a CUDA GPU it says so and times the CPU only.

    python benchmarks/bench_gpu.py [--rows 200000] [--features 100] [--repeats 3]
"""

import argparse
import statistics
import sys
import time
import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning

from skae import Autoencoder


def timed_fit(X, device, epochs):
    model = Autoencoder(
        16,
        hidden_layer_sizes=(256, 64),
        batch_size=256,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        outlier_score="reconstruction",
        random_state=0,
        device=device,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X)
        if device == "cuda":
            torch.cuda.synchronize()
        fit_time = time.perf_counter() - start
    start = time.perf_counter()
    codes = model.transform(X)
    transform_time = time.perf_counter() - start
    assert isinstance(codes, np.ndarray)
    return fit_time, transform_time


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--features", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    latent = rng.normal(size=(args.rows, 10)).astype(np.float32)
    X = latent @ rng.normal(size=(10, args.features)).astype(np.float32)
    X += 0.1 * rng.normal(size=X.shape).astype(np.float32)

    devices = ["cpu"]
    if torch.cuda.is_available():
        devices.append("cuda")
        print(f"GPU: {torch.cuda.get_device_name(0)}")
    else:
        print("No CUDA GPU visible to torch: timing the CPU only, no speed-up to report.")
    print(
        f"Autoencoder(16), hidden (256, 64), batch 256, {args.epochs} epochs, "
        f"{args.rows:,} x {args.features} float32, torch {torch.__version__}, "
        f"{torch.get_num_threads()} CPU threads; medians of {args.repeats}"
    )
    results = {}
    for device in devices:
        timed_fit(X[:5000], device, 1)  # warm-up
        runs = [timed_fit(X, device, args.epochs) for _ in range(args.repeats)]
        results[device] = (
            statistics.median(r[0] for r in runs),
            statistics.median(r[1] for r in runs),
        )
        print(
            f"{device:<6} fit {results[device][0]:8.2f} s   transform {results[device][1]:7.3f} s"
        )
    if "cuda" in results:
        cpu, gpu = results["cpu"], results["cuda"]
        print(f"speed-up on the GPU: fit {cpu[0] / gpu[0]:.1f}x, transform {cpu[1] / gpu[1]:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
