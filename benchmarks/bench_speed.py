"""Training and inference speed of skae against the best hand-written torch loop, and PyOD.

Training: for every variant (dense, sparse, denoising, convolutional,
variational) at several shapes and batch sizes, these fits run interleaved,
round after round:

* ``hand`` and ``hand1``: the hand-written loop of ``hand_loops.py`` (the
  same network, loss and noise, fused Adam, batches sliced from one tensor,
  the one no-grad scoring pass a detector needs) on torch's threads and on
  one thread;
* ``skae1`` and ``skaeN``: the skae estimator doing the same work with
  ``n_threads=1`` and with all of torch's threads (the thread sweep); the
  default, ``n_threads="auto"``, is whichever of the two it picks for the
  row's batches (column ``auto``), and the ``skae`` ratios are its;
* ``pyod``: PyOD's ``AutoEncoder`` with the same network and settings
  (dense rows only; skipped with a message when PyOD is not installed).

Each round runs the contenders in another order (so that none always runs
first), and its ratios are taken against the faster of ``hand`` and
``hand1`` (the loop at its better thread count) and against the faster of
``skae1`` and ``skaeN``; the medians of the rounds' ratios are printed
beside the median times.

Searches: ``GridSearchCV`` over 24 fits of about a second each with
``n_jobs=1`` and ``n_jobs=2``. Busy machine: the "Inside a pipeline" block of
``docs/getting_started.md`` run idle and beside one CPU-bound process.
Inference: ``score_samples`` (reconstruction error) on 1,000,000 x 100 float32
against a raw ``torch.no_grad()`` forward computing the same errors, on one
thread and on all, and the peak memory it adds (Linux only); then the
default hybrid score's cost, printed for reference.

Exits with status 1 when a target is missed:

* skae/hand <= 1.05 on every row; skae (auto) <= 1.05x the faster of skae1 and skaeN;
* skae's fit < PyOD's on every dense row, and <= 0.6x at batch 256;
* ``n_jobs=2`` >= 1.5x faster than ``n_jobs=1``;
* the getting-started block beside a CPU-bound process <= 2x its idle time;
* score_samples <= 1.1x the raw forward at every thread count, and at most
  64 MiB beyond its output.

``--sweep`` instead prints the selection sweep that chose skae's thread rule
(``skae._threads.MIN_FLOPS_PER_THREAD``): the loop's time per batch on one
thread and on all, over dense and convolutional networks and batch sizes
that are not the benchmark's shapes.

    python benchmarks/bench_speed.py [--repeats 5] [--quick] [--no-pyod] [--sweep]
"""

import argparse
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from hand_loops import (
    CODE,
    HIDDEN,
    LR,
    WEIGHT_DECAY,
    hand_fit,
    hand_fit_one_thread,
    make_data,
    skae_fit,
)

from skae._threads import MIN_FLOPS_PER_THREAD, count_flops

CASES = [
    # variant, rows, features (ignored for images), batch size, epochs
    ("dense", 2_000, 20, 32, 20),
    ("dense", 20_000, 20, 32, 3),
    ("dense", 120_000, 20, 256, 3),
    ("dense", 50_000, 100, 256, 3),
    ("dense", 200_000, 30, 32, 1),
    ("sparse", 20_000, 20, 32, 3),
    ("sparse", 120_000, 20, 256, 3),
    ("denoising", 20_000, 20, 32, 3),
    ("denoising", 120_000, 20, 256, 3),
    ("vae", 20_000, 20, 32, 3),
    ("vae", 120_000, 20, 256, 3),
    ("conv", 2_000, 784, 32, 1),
    ("conv", 6_000, 784, 128, 1),
]
QUICK_CASES = [
    ("dense", 2_000, 20, 32, 2),
    ("vae", 2_000, 20, 256, 2),
    ("conv", 256, 784, 128, 1),
]
TARGET_HAND = 1.05
TARGET_THREADS = 1.05
TARGET_PYOD = 1.0
TARGET_PYOD_256 = 0.6
TARGET_SEARCH = 1.5
TARGET_BUSY = 2.0
TARGET_INFERENCE = 1.1
MEMORY_SLACK = 64 * 2**20
N_HYBRID = 300_000
ROOT = Path(__file__).resolve().parents[1]


def fit_pyod(X, batch_size, epochs, seed=0):
    from pyod.models.auto_encoder import AutoEncoder

    model = AutoEncoder(
        hidden_neuron_list=[HIDDEN, CODE],
        batch_norm=False,
        dropout_rate=0.0,
        preprocessing=False,
        epoch_num=epochs,
        batch_size=batch_size,
        lr=LR,
        optimizer_params={"weight_decay": WEIGHT_DECAY},
        random_state=seed,
        verbose=0,
    )
    return model.fit(X)


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - start


def contenders(variant, with_pyod):
    all_threads = torch.get_num_threads()
    fits = {
        "hand": lambda X, b, e, s: hand_fit(variant, X, b, e, s),
        "hand1": lambda X, b, e, s: hand_fit_one_thread(variant, X, b, e, s),
        "skae1": lambda X, b, e, s: skae_fit(variant, X, b, e, s, n_threads=1),
        "skaeN": lambda X, b, e, s: skae_fit(variant, X, b, e, s, n_threads=all_threads),
    }
    if with_pyod and variant == "dense":
        fits["pyod"] = fit_pyod
    return fits


def auto_threads(variant, X, batch_size):
    """The thread count skae's default (``n_threads="auto"``) picks for these batches."""
    estimator = skae_fit(variant, X[:256], batch_size, 1)
    return estimator.net_.threads("auto", batch_size, torch.zeros(1, estimator.n_features_in_))


def bench_training(cases, repeats, with_pyod):
    rows = []
    for variant, n_samples, n_features, batch_size, epochs in cases:
        X = make_data(variant, n_samples, n_features)
        fits = contenders(variant, with_pyod)
        auto = auto_threads(variant, X, batch_size)
        default = {1: "skae1", torch.get_num_threads(): "skaeN"}.get(auto)
        if default is None:
            fits["skae"] = lambda X, b, e, s, v=variant: skae_fit(v, X, b, e, s)
            default = "skae"
        for fit in fits.values():  # warm-up
            fit(X[:256], batch_size, 1, 0)
        times = {name: [] for name in fits}
        names = list(fits)
        for repeat in range(repeats):
            # each round in another order, so that no contender always runs first
            shift = repeat % len(names)
            for name in names[shift:] + names[:shift]:
                times[name].append(timed(fits[name], X, batch_size, epochs, repeat))
        t = {name: np.array(values) for name, values in times.items()}
        ratios = {
            "hand": np.median(t[default] / np.minimum(t["hand"], t["hand1"])),
            "threads": np.median(t[default] / np.minimum(t["skae1"], t["skaeN"])),
        }
        if "pyod" in t:
            ratios["pyod"] = np.median(t[default] / t["pyod"])
        shape = f"{n_samples:,} x " + ("1x28x28" if variant == "conv" else f"{n_features}")
        medians = {name: float(np.median(values)) for name, values in t.items()}
        rows.append((variant, shape, batch_size, epochs, auto, medians, ratios))
        print_training_row(rows[-1])
    return rows


TRAINING_HEADER = (
    f"{'variant':>9} {'shape':>17} {'batch':>5} {'epochs':>6} {'hand':>7} {'hand1':>7} "
    f"{'skae1':>7} {'skaeN':>7} {'pyod':>7} {'auto':>4} {'skae/hand':>9} "
    f"{'auto/best':>9} {'skae/pyod':>9}"
)


def print_training_row(row):
    variant, shape, batch_size, epochs, auto, medians, ratios = row
    line = f"{variant:>9} {shape:>17} {batch_size:>5} {epochs:>6}"
    for name in ("hand", "hand1", "skae1", "skaeN", "pyod"):
        line += f" {medians[name]:>6.2f}s" if name in medians else f" {'-':>7}"
    line += f" {auto:>4} {ratios['hand']:>9.2f} {ratios['threads']:>9.2f}"
    line += f" {ratios['pyod']:>9.2f}" if "pyod" in ratios else f" {'-':>9}"
    print(line, flush=True)


# ------------------------------------------------------------------ searches


def search_fit(n_jobs, X):
    from sklearn.model_selection import GridSearchCV

    from skae import Autoencoder

    grid = {"n_components": [4, 8], "hidden_layer_sizes": [(32,), (64,)], "alpha": [1e-4, 1e-3]}
    search = GridSearchCV(Autoencoder(max_iter=40, tol=0.0, random_state=0), grid, n_jobs=n_jobs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return search.fit(X)


def bench_search(repeats, quick):
    X = make_data("dense", 1_500 if quick else 6_000, 30)
    search_fit(2, X[:300])  # starts joblib's workers
    times = {1: [], 2: []}
    for _ in range(max(1, repeats // 2)):
        for n_jobs in (1, 2):
            times[n_jobs].append(timed(search_fit, n_jobs, X))
    medians = {n_jobs: float(np.median(t)) for n_jobs, t in times.items()}
    speedup = float(np.median(np.array(times[1]) / np.array(times[2])))
    print(
        f"GridSearchCV, 8 candidates x 3 folds on {len(X):,} x 30: n_jobs=1 {medians[1]:.1f}s, "
        f"n_jobs=2 {medians[2]:.1f}s, speed-up {speedup:.2f}"
    )
    return speedup


# -------------------------------------------------------------- busy machine


def getting_started_block():
    """The first block (imports) and the "Inside a pipeline" block of the getting-started page."""
    text = (ROOT / "docs" / "getting_started.md").read_text()
    blocks = [part.split("```")[0] for part in text.split("```python\n")[1:]]
    pipeline = next(block for block in blocks if "GridSearchCV" in block)
    return blocks[0] + "\n" + pipeline


def run_block(code, busy):
    hog = None
    if busy:
        hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-W", "ignore", "-c", code], check=True, capture_output=True
        )
        return time.perf_counter() - start
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()


def bench_busy(repeats):
    code = getting_started_block()
    times = {False: [], True: []}
    for _ in range(max(1, repeats // 2)):
        for busy in (False, True):
            times[busy].append(timed(run_block, code, busy))
    idle, busy = (float(np.median(times[key])) for key in (False, True))
    print(
        f"getting_started.md 'Inside a pipeline': idle {idle:.1f}s, beside one CPU-bound "
        f"process {busy:.1f}s, busy/idle {busy / idle:.2f}"
    )
    return busy / idle


# ----------------------------------------------------------------- inference


def raw_scores(net, X, batch_size=16_384):
    out = np.empty(len(X), dtype=np.float32)
    with torch.no_grad():
        for start in range(0, len(X), batch_size):
            batch = torch.from_numpy(X[start : start + batch_size])
            reconstruction = net.decode(net.encode(batch))
            out[start : start + batch_size] = (reconstruction - batch).square().mean(1).numpy()
    return -out


def _status_kib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not found in /proc/self/status")


def _reset_peak_rss():
    """Reset the kernel's peak-RSS mark (Linux) and return the current RSS in bytes."""
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")
    return _status_kib("VmRSS") * 1024


def inference_child(n_samples, n_features, repeats, measure):
    """Run in a fresh process: time or measure the memory of score_samples."""
    X = np.empty((n_samples, n_features), dtype=np.float32)
    for start in range(0, n_samples, 100_000):
        rows = min(100_000, n_samples - start)
        X[start : start + rows] = make_data("dense", rows, n_features, start)
    ae = skae_fit("dense", X[:20_000], 256, 2)
    net = ae.net_.module_.eval()
    if measure == "memory":
        before = _reset_peak_rss()
        ae.score_samples(X)
        return {"extra": _status_kib("VmHWM") * 1024 - before, "output": n_samples * X.itemsize}
    np.testing.assert_allclose(ae.score_samples(X[:1000]), raw_scores(net, X[:1000]), rtol=1e-4)
    result = {}
    for threads in sorted({1, torch.get_num_threads()}):
        torch.set_num_threads(threads)
        times = {"raw": [], "skae": []}
        for _ in range(repeats):
            times["raw"].append(timed(raw_scores, net, X))
            times["skae"].append(timed(ae.score_samples, X))
        ratio = float(np.median(np.array(times["skae"]) / np.array(times["raw"])))
        medians = {name: float(np.median(t)) for name, t in times.items()}
        result[str(threads)] = {**medians, "ratio": ratio}
    hybrid = skae_fit("dense", X[:20_000], 256, 2, outlier_score="hybrid")
    part = X[:N_HYBRID]
    times = {"hybrid": [], "reconstruction": []}
    for _ in range(repeats):
        times["hybrid"].append(timed(hybrid.score_samples, part))
        times["reconstruction"].append(timed(ae.score_samples, part))
    result["hybrid"] = {name: float(np.median(t)) for name, t in times.items()}
    return result


def run_child(*args):
    command = [sys.executable, __file__, "--inference-child", json.dumps(args)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def bench_inference(n_inference, repeats):
    speed = run_child(n_inference, 100, repeats, "time")
    memory = run_child(n_inference, 100, 1, "memory")
    ratios = {}
    for threads, row in speed.items():
        if threads == "hybrid":
            continue
        ratios[threads] = row["ratio"]
        print(
            f"{threads} thread(s): raw forward {row['raw']:.3f}s, skae score_samples "
            f"{row['skae']:.3f}s, skae/raw {row['ratio']:.2f}"
        )
    extra = memory["extra"] - memory["output"]
    print(
        f"peak memory added by score_samples: {memory['extra'] / 2**20:.1f} MiB, of which the "
        f"output is {memory['output'] / 2**20:.1f} MiB; beyond it {extra / 2**20:.1f} MiB"
    )
    hybrid = speed["hybrid"]
    print(
        f"default (hybrid) score on {min(N_HYBRID, n_inference):,} x 100: {hybrid['hybrid']:.3f}s, "
        f"reconstruction score {hybrid['reconstruction']:.3f}s, "
        f"hybrid/reconstruction {hybrid['hybrid'] / hybrid['reconstruction']:.2f} (for reference)"
    )
    return ratios, extra


# --------------------------------------------------------------------- sweep

SWEEP_DENSE = [(20, (64,)), (100, (64,)), (100, (256,)), (300, (256, 128)), (784, (512, 256))]
SWEEP_BATCHES = [32, 256, 1024]
SWEEP_CONV = [((8, 16), 16), ((8, 16), 128), ((32, 64), 16), ((32, 64), 128)]


def _steps(module, data, batch_size, steps):
    optimizer = torch.optim.Adam(module.parameters(), fused=True, weight_decay=1e-5)
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(0))
    for step in range(steps):
        start = (step * batch_size) % (len(data) - batch_size)
        batch = data.index_select(0, order[start : start + batch_size])
        optimizer.zero_grad()
        output = module(batch)[0]
        (output - batch).square().mean().backward()
        optimizer.step()


def bench_sweep(repeats):
    from skae.networks import ConvAutoencoderNetwork, DenseAutoencoderNetwork

    all_threads = torch.get_num_threads()
    cases = [("dense", d, h, b) for d, h in SWEEP_DENSE for b in SWEEP_BATCHES]
    cases += [("conv", 784, f, b) for f, b in SWEEP_CONV]
    print(
        f"{'network':>28} {'batch':>5} {'FLOPs/batch':>11} {'1 thread':>9} "
        f"{f'{all_threads} threads':>9} {'ratio':>6} {'auto':>5}"
    )
    for kind, d, hidden, batch_size in cases:
        torch.manual_seed(0)
        if kind == "dense":
            module = DenseAutoencoderNetwork(d, 8, hidden, "relu")
            data = torch.randn(20_000, d)
        else:
            module = ConvAutoencoderNetwork((1, 28, 28), 8, hidden, 3, "relu")
            data = torch.randn(2_000, d)
        flops = count_flops(module, data[:1]) * batch_size
        steps = int(max(20, min(2000, 1e9 / flops)))
        _steps(module, data, batch_size, 5)
        per_batch = {1: [], all_threads: []}
        for _ in range(repeats):
            for threads in per_batch:
                torch.set_num_threads(threads)
                per_batch[threads].append(timed(_steps, module, data, batch_size, steps) / steps)
        torch.set_num_threads(all_threads)
        one, many = (float(np.median(per_batch[t])) for t in (1, all_threads))
        auto = max(1, min(all_threads, int(flops // MIN_FLOPS_PER_THREAD)))
        name = f"{kind} {d} {hidden}"
        print(
            f"{name:>28} {batch_size:>5} {flops:>11.3g} {one * 1e3:>7.3f}ms "
            f"{many * 1e3:>7.3f}ms {many / one:>6.2f} {auto:>5}",
            flush=True,
        )
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="small shapes, 100,000-row inference")
    parser.add_argument("--no-pyod", action="store_true", help="skip the PyOD column")
    parser.add_argument("--sweep", action="store_true", help="the thread rule's selection sweep")
    parser.add_argument("--inference-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inference_child:
        print(json.dumps(inference_child(*json.loads(args.inference_child))))
        return 0
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {args.repeats} rounds")
    if args.sweep:
        return bench_sweep(args.repeats)

    with_pyod = not args.no_pyod
    if with_pyod:
        try:
            import pyod  # noqa: F401
        except ImportError:
            print("PyOD is not installed (pip install pyod): its column is skipped.")
            with_pyod = False
    print("\nTraining: fit time (medians), ratios (medians of the rounds' ratios)")
    print(TRAINING_HEADER)
    print("-" * len(TRAINING_HEADER))
    rows = bench_training(QUICK_CASES if args.quick else CASES, args.repeats, with_pyod)
    print("\nSearches")
    speedup = bench_search(args.repeats, args.quick)
    busy = None
    if not args.quick:
        print("\nBusy machine")
        busy = bench_busy(args.repeats)
    n_inference = 100_000 if args.quick else 1_000_000
    print(f"\nInference: score_samples on {n_inference:,} x 100 float32")
    inference, extra = bench_inference(n_inference, args.repeats)

    missed = []
    for variant, shape, batch_size, _, _, _, ratios in rows:
        where = f"{variant} {shape} batch {batch_size}"
        if ratios["hand"] > TARGET_HAND:
            missed.append(f"{where}: skae/hand above {TARGET_HAND}")
        if ratios["threads"] > TARGET_THREADS:
            missed.append(f"{where}: auto threads above {TARGET_THREADS}x the better count")
        if "pyod" in ratios:
            limit = TARGET_PYOD_256 if batch_size == 256 else TARGET_PYOD
            if ratios["pyod"] >= limit:
                missed.append(f"{where}: skae/pyod not below {limit}")
    if speedup < TARGET_SEARCH:
        missed.append(f"searches: n_jobs=2 less than {TARGET_SEARCH}x faster than n_jobs=1")
    if busy is not None and busy > TARGET_BUSY:
        missed.append(f"busy machine: getting-started block above {TARGET_BUSY}x its idle time")
    for threads, ratio in inference.items():
        if ratio > TARGET_INFERENCE:
            missed.append(f"score_samples, {threads} thread(s): skae/raw above {TARGET_INFERENCE}")
    if extra > MEMORY_SLACK:
        missed.append("score_samples: more than 64 MiB beyond the output")
    print()
    for line in missed:
        print("MISSED:", line)
    print("all targets met" if not missed else f"{len(missed)} target(s) missed")
    return 1 if missed else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
