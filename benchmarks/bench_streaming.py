"""Out-of-core training: fit_stream over a memory-mapped file larger than the budget.

Writes a float32 ``.npy`` file of ``--rows`` x ``--features`` (by default
20,000,000 x 20, 1.6 GB: low-rank data plus noise, written chunk by chunk),
then, in a fresh process, trains ``Autoencoder`` on it with
``skae.fit_stream`` from ``np.load(path, mmap_mode="r")`` and reports

* the peak resident memory beyond what the process held before training
  (``VmHWM`` minus ``VmRSS`` from ``/proc/self/status``), against a budget of
  1 GB;
* the time per pass and the training throughput, against the same
  ``fit_stream`` over the first 1,000,000 rows held in memory, in the same
  process (the ratio is the cost per row of reading from the file);
* the held-out reconstruction error after streaming, against PCA with the
  same code size fit on the first 1,000,000 rows.

    python benchmarks/bench_streaming.py [--rows 20000000] [--epochs 1] [--dir /tmp]

Exits non-zero when the extra memory exceeds the budget. Linux only (reads
/proc).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

BUDGET_MB = 1024
WRITE_ROWS = 1_000_000


def write_data(path, n_rows, n_features, seed=0):
    """Low-rank (rank 5) data plus noise, written without holding it in memory."""
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(5, n_features)).astype(np.float32)
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n_rows, n_features))
    for start in range(0, n_rows, WRITE_ROWS):
        n = min(WRITE_ROWS, n_rows - start)
        latent = rng.normal(size=(n, 5)).astype(np.float32)
        out[start : start + n] = latent @ mixing + 0.1 * rng.normal(size=(n, n_features))
    out.flush()
    del out


def memory_mb():
    """Current and peak resident memory of this process, in MB."""
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def child(path, epochs, batch_size, chunk_size):
    """Runs in a fresh process: train, measure, print one JSON line."""
    import torch
    from sklearn.decomposition import PCA
    from sklearn.exceptions import ConvergenceWarning

    from skae import Autoencoder, fit_stream

    torch.set_num_threads(os.cpu_count() or 1)
    X = np.load(path, mmap_mode="r")
    params = dict(n_components=5, batch_size=batch_size, random_state=0)
    sample = np.array(X[:WRITE_ROWS])
    X_test = np.array(X[-50_000:])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        Autoencoder(**params, max_iter=2).fit(sample[:20_000])  # warm-up
    start = time.perf_counter()
    fit_stream(Autoencoder(**params), sample, n_epochs=epochs, chunk_size=chunk_size)
    in_memory = (time.perf_counter() - start) / epochs
    pca = PCA(5).fit(sample)
    pca_error = float(np.mean((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2))
    del sample
    rss_before, _ = memory_mb()
    # the peak so far includes the in-memory comparison: reset it
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    start = time.perf_counter()
    model = fit_stream(Autoencoder(**params), X, n_epochs=epochs, chunk_size=chunk_size)
    elapsed = time.perf_counter() - start
    _, peak = memory_mb()
    print(
        json.dumps(
            {
                "rows": int(X.shape[0]),
                "features": int(X.shape[1]),
                "epochs": epochs,
                "chunks": model.n_iter_,
                "seconds": elapsed,
                "in_memory_epoch_1m": in_memory,
                "extra_mb": peak - rss_before,
                "rss_before_mb": rss_before,
                "test_mse": float(np.mean(model.reconstruction_error(X_test))),
                "pca_mse": pca_error,
            }
        )
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--chunk-size", default="auto")
    parser.add_argument(
        "--dir", default=None, help="folder for the data file (default: a temp dir)"
    )
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    chunk_size = args.chunk_size if args.chunk_size == "auto" else int(args.chunk_size)
    if args.child:
        child(args.child, args.epochs, args.batch_size, chunk_size)
        return 0

    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        path = Path(folder) / "stream.npy"
        start = time.perf_counter()
        write_data(path, args.rows, args.features)
        size_mb = path.stat().st_size / 2**20
        print(
            f"wrote {args.rows:,} x {args.features} float32 ({size_mb:,.0f} MB) "
            f"in {time.perf_counter() - start:.0f} s"
        )
        result = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                str(path),
                "--epochs",
                str(args.epochs),
                "--batch-size",
                str(args.batch_size),
                "--chunk-size",
                str(args.chunk_size),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        print(result.stderr, file=sys.stderr)
        return result.returncode
    r = json.loads(result.stdout.strip().splitlines()[-1])
    per_row_stream = r["seconds"] / (r["rows"] * r["epochs"])
    per_row_memory = r["in_memory_epoch_1m"] / WRITE_ROWS
    print(
        f"fit_stream(Autoencoder(5), np.load(path, mmap_mode='r'), n_epochs={r['epochs']}): "
        f"{r['chunks']} chunks, batch {args.batch_size}"
    )
    print(f"{'time':<42}{r['seconds']:>10.1f} s ({r['seconds'] / r['epochs']:.1f} s per pass)")
    print(f"{'throughput':<42}{1 / per_row_stream:>10,.0f} rows/s")
    print(
        f"{'time per row, file / in-memory (1M rows)':<42}{per_row_stream / per_row_memory:>10.2f}"
    )
    print(f"{'extra peak memory':<42}{r['extra_mb']:>10.0f} MB (budget {BUDGET_MB} MB)")
    print(
        f"{'held-out MSE, streamed / PCA(5) on 1M rows':<42}"
        f"{r['test_mse']:>10.4f} / {r['pca_mse']:.4f}"
    )
    return 0 if r["extra_mb"] <= BUDGET_MB else 1


if __name__ == "__main__":
    sys.exit(main())
