"""Peak memory of inference on a large array: transform and score_samples.

A model is fit on a small sample; then, in a fresh process per method, an
``n_rows x n_features`` float32 array is made and the method run on it. The
extra memory is the process's peak resident size during the call, minus its
size just before (which holds the input), minus the output's size: what
inference itself needed. skae's target is 128 MB at most, whatever the
number of rows.

    python benchmarks/bench_memory.py [--rows 5000000] [--features 50]
        [--budget-mb 128]

Each measurement runs in its own process so that one method's peak cannot
hide another's. Linux only (it reads ``/proc/self/statm``).
"""

import argparse
import multiprocessing
import os
import pickle
import resource
import sys
import time
import warnings

import numpy as np

MB = 2**20


def current_rss():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def measure(model_bytes, method, n_rows, n_features, queue):
    model = pickle.loads(model_bytes)
    X = np.random.default_rng(1).standard_normal((n_rows, n_features), dtype=np.float32)
    before, peak_before = current_rss(), peak_rss()
    start = time.perf_counter()
    out = getattr(model, method)(X)
    seconds = time.perf_counter() - start
    peak = peak_rss()
    queue.put(
        {
            "input": X.nbytes,
            "output": out.nbytes,
            "extra": peak - before - out.nbytes,
            "seconds": seconds,
            # the baseline must be the highest point so far for the peak to be this call's
            "valid": peak_before <= before,
            "finite": bool(np.isfinite(out).all()),
        }
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--fit-rows", type=int, default=50_000)
    parser.add_argument("--budget-mb", type=float, default=128.0)
    args = parser.parse_args(argv)
    if not os.path.exists("/proc/self/statm"):
        print("This benchmark reads /proc/self/statm: it runs on Linux only.")
        return 2

    import skae

    rng = np.random.default_rng(0)
    X_fit = rng.standard_normal((args.fit_rows, args.features), dtype=np.float32)
    cases = [
        ("transform", "hybrid"),
        ("score_samples", "hybrid"),
        ("score_samples", "reconstruction"),
    ]
    models = {}
    for outlier_score in ("hybrid", "reconstruction"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = skae.Autoencoder(max_iter=2, outlier_score=outlier_score, random_state=0)
            models[outlier_score] = pickle.dumps(model.fit(X_fit))

    print(
        f"Autoencoder() on {args.rows:,} x {args.features} float32 "
        f"({args.rows * args.features * 4 / MB:,.0f} MB), one process per method"
    )
    header = f"{'method':<34}{'output MB':>10}{'extra MB':>10}{'budget':>8}{'seconds':>9}"
    print(header)
    print("-" * len(header))
    context = multiprocessing.get_context("spawn")
    failed = False
    for method, outlier_score in cases:
        queue = context.Queue()
        process = context.Process(
            target=measure,
            args=(models[outlier_score], method, args.rows, args.features, queue),
        )
        process.start()
        result = queue.get()
        process.join()
        ok = result["valid"] and result["finite"] and result["extra"] <= args.budget_mb * MB
        failed |= not ok
        name = f"{method} (outlier_score={outlier_score})"
        print(
            f"{name:<34}{result['output'] / MB:>10.1f}{result['extra'] / MB:>10.1f}"
            f"{'ok' if ok else 'OVER':>8}{result['seconds']:>9.1f}"
        )
        if not result["valid"]:
            print("  (the peak before the call exceeded the baseline: measurement invalid)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
