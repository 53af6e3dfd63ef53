"""Training and inference speed of skae against a hand-written torch loop and PyOD.

Training: for each data shape and batch size, ``skae.Autoencoder.fit`` runs
interleaved (hand, hand on one thread, skae, hybrid, PyOD, hand, ...) with

* a minimal hand-written PyTorch loop: the same network
  (``skae.networks.DenseAutoencoderNetwork``), ``torch.optim.Adam`` with
  ``fused=True`` (the implementation skae's training uses) and its
  defaults (learning rate 1e-3, weight decay 1e-4), the same epochs, batch
  size, per-epoch shuffling and float32 data, and nothing else (no
  validation, no scoring of the training data), run twice: with torch's
  threads (``hand``) and on one thread (``hand1``), since a small network
  can train faster on one; the ratios are taken against the faster of the
  two, the loop at its better thread count;
* PyOD's ``AutoEncoder`` (optional: skipped with a message when PyOD is not
  installed) with ``hidden_neuron_list=[64, code]``, which is the same
  network, no batch norm, no dropout, no preprocessing, and the same
  learning rate, weight decay, epochs and batch size.

skae's and PyOD's fits include what a fit of theirs does beyond the loop:
input validation and scoring the training data for the outlier threshold.
``skae`` runs with ``outlier_score="reconstruction"``, the score PyOD and
the hand-written loop compute; ``hybrid`` is the same fit with the default
``outlier_score="hybrid"``, whose statistics (one pass over at most 20,000
training rows, two reference subsamples, two neighbour searches) it adds.
Both fix the network, epochs and batch size to the loop's (8-unit code, 64
hidden units, ``tol=0``): the comparison is of the same training, not of
skae's default training length.

Inference: ``score_samples`` on 1,000,000 x 100 float32 against a raw
``torch.no_grad()`` forward of the same network in batches of 16,384 rows
computing the same per-sample error (and, for reference, the same raw
forward in skae's own inference batch size); and the peak resident memory that
``score_samples`` adds, measured in a fresh process from the kernel's
peak-RSS mark (reset just before the call; Linux only). Then the default
hybrid score's ``score_samples`` against the reconstruction score's on
300,000 x 100, interleaved.

Prints medians over ``--repeats`` runs and their ratios, and exits with
status 1 when a target is missed:

* fit <= 1.15x the hand-written loop at its better thread count, at every
  shape and batch size, and the fit with the default hybrid score <= 1.3x;
* fit < PyOD's at every shape and batch size, and <= 0.6x at batch 256;
* score_samples <= 1.1x the raw forward; its extra peak memory <= output + 64 MiB;
* the hybrid score's score_samples <= 3x the reconstruction score's.

    python benchmarks/bench_speed.py [--repeats 5] [--quick] [--no-pyod]
"""

import argparse
import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np
import torch

from skae import Autoencoder
from skae.networks import DenseAutoencoderNetwork

CODE = 8
HIDDEN = 64
LR = 1e-3
WEIGHT_DECAY = 1e-4

SHAPES = [(2_000, 20), (50_000, 100), (200_000, 30)]
QUICK_SHAPES = [(2_000, 20), (20_000, 50)]
BATCH_SIZES = [32, 256]
TARGET_HAND = 1.15
TARGET_HYBRID_FIT = 1.3
TARGET_HYBRID = 3.0
N_HYBRID = 300_000
TARGET_PYOD = 1.0
TARGET_PYOD_256 = 0.6
TARGET_INFERENCE = 1.1
MEMORY_SLACK = 64 * 2**20


def epochs_for(n_samples, batch_size):
    """Enough epochs for about a second of work per fit, at least one."""
    steps = n_samples / batch_size
    return int(max(1, min(20, round(3000 / steps))))


def make_data(n_samples, n_features, seed=0):
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((n_samples, CODE), dtype=np.float32)
    mixing = rng.standard_normal((CODE, n_features), dtype=np.float32)
    X = np.tanh(latent @ mixing) + 0.1 * rng.standard_normal(
        (n_samples, n_features), dtype=np.float32
    )
    return (X - X.mean(0)) / X.std(0)


def fit_hand(X, batch_size, epochs, seed=0):
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    net = DenseAutoencoderNetwork(X.shape[1], CODE, (HIDDEN,), "relu")
    optimizer = torch.optim.Adam(net.parameters(), lr=LR, weight_decay=WEIGHT_DECAY, fused=True)
    data = torch.from_numpy(X)
    net.train()
    for _ in range(epochs):
        order = torch.randperm(len(data), generator=generator)
        for start in range(0, len(data), batch_size):
            batch = data[order[start : start + batch_size]]
            optimizer.zero_grad()
            output, _ = net(batch)
            loss = torch.nn.functional.mse_loss(output, batch)
            loss.backward()
            optimizer.step()
    return net


def fit_hand_one_thread(X, batch_size, epochs, seed=0):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return fit_hand(X, batch_size, epochs, seed)
    finally:
        torch.set_num_threads(threads)


def fit_skae(X, batch_size, epochs, seed=0, outlier_score="reconstruction"):
    ae = Autoencoder(
        CODE,
        hidden_layer_sizes=(HIDDEN,),
        loss="mse",
        batch_size=batch_size,
        max_iter=epochs,
        learning_rate_init=LR,
        alpha=WEIGHT_DECAY * batch_size,  # MLP's scaling: Adam's weight decay is alpha / batch_size
        tol=0.0,
        outlier_score=outlier_score,
        random_state=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ae.fit(X)


def fit_hybrid(X, batch_size, epochs, seed=0):
    return fit_skae(X, batch_size, epochs, seed, outlier_score="hybrid")


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


def timed(fn, *args):
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def bench_training(shapes, repeats, with_pyod):
    contenders = {
        "hand": fit_hand,
        "hand1": fit_hand_one_thread,
        "skae": fit_skae,
        "hybrid": fit_hybrid,
    }
    if with_pyod:
        contenders["pyod"] = fit_pyod
    rows = []
    for n_samples, n_features in shapes:
        X = make_data(n_samples, n_features)
        for batch_size in BATCH_SIZES:
            epochs = epochs_for(n_samples, batch_size)
            for fit in contenders.values():  # warm-up
                fit(X[:512], batch_size, 1)
            times = {name: [] for name in contenders}
            for repeat in range(repeats):
                for name, fit in contenders.items():
                    times[name].append(timed(fit, X, batch_size, epochs, repeat))
            medians = {name: float(np.median(t)) for name, t in times.items()}
            medians["best hand"] = min(medians["hand"], medians["hand1"])
            rows.append(((n_samples, n_features), batch_size, epochs, medians))
            print_training_row(rows[-1], flush=True)
    return rows


def print_training_header(with_pyod):
    header = f"{'shape':>14} {'batch':>5} {'epochs':>6} {'hand':>8} {'hand1':>8}"
    header += f" {'skae':>8} {'hybrid':>8}"
    header += f" {'pyod':>8}" if with_pyod else ""
    header += f" {'skae/hand':>9} {'hybrid/hand':>11}"
    header += f" {'skae/pyod':>9}" if with_pyod else ""
    print(header)
    print("-" * len(header))


def print_training_row(row, flush=False):
    (n_samples, n_features), batch_size, epochs, medians = row
    line = f"{f'{n_samples:,} x {n_features}':>14} {batch_size:>5} {epochs:>6}"
    line += f" {medians['hand']:>7.3f}s {medians['hand1']:>7.3f}s"
    line += f" {medians['skae']:>7.3f}s {medians['hybrid']:>7.3f}s"
    if "pyod" in medians:
        line += f" {medians['pyod']:>7.3f}s"
    line += f" {medians['skae'] / medians['best hand']:>9.2f}"
    line += f" {medians['hybrid'] / medians['best hand']:>11.2f}"
    if "pyod" in medians:
        line += f" {medians['skae'] / medians['pyod']:>9.2f}"
    print(line, flush=flush)


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


def _peak_rss():
    return _status_kib("VmHWM") * 1024


def inference_child(n_samples, n_features, repeats, measure):
    """Run in a fresh process: time or measure the memory of score_samples."""
    X = np.empty((n_samples, n_features), dtype=np.float32)
    for start in range(0, n_samples, 100_000):
        X[start : start + 100_000] = make_data(min(100_000, n_samples - start), n_features, start)
    ae = fit_skae(X[:20_000], 256, 2)
    net = ae.net_.module_.eval()
    if measure == "memory":
        before = _reset_peak_rss()
        ae.score_samples(X)
        return {"extra": _peak_rss() - before, "output": n_samples * X.itemsize}
    np.testing.assert_allclose(ae.score_samples(X[:1000]), raw_scores(net, X[:1000]), rtol=1e-4)
    times = {"raw": [], "raw_same_batch": [], "skae": []}
    for _ in range(repeats):
        times["raw"].append(timed(raw_scores, net, X))
        times["raw_same_batch"].append(timed(raw_scores, net, X, ae.net_.valid_batch_size))
        times["skae"].append(timed(ae.score_samples, X))
    hybrid = fit_skae(X[:20_000], 256, 2, outlier_score="hybrid")
    part = X[:N_HYBRID]
    times["hybrid"], times["reconstruction"] = [], []
    for _ in range(repeats):
        times["hybrid"].append(timed(hybrid.score_samples, part))
        times["reconstruction"].append(timed(ae.score_samples, part))
    medians = {name: float(np.median(t)) for name, t in times.items()}
    return {**medians, "batch_size": ae.net_.valid_batch_size}


def run_child(*args):
    command = [sys.executable, __file__, "--inference-child", json.dumps(args)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="small shapes, 100,000-row inference")
    parser.add_argument("--no-pyod", action="store_true", help="skip the PyOD column")
    parser.add_argument("--inference-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inference_child:
        print(json.dumps(inference_child(*json.loads(args.inference_child))))
        return 0

    with_pyod = not args.no_pyod
    if with_pyod:
        try:
            import pyod  # noqa: F401
        except ImportError:
            print("PyOD is not installed (pip install pyod): its column is skipped.")
            with_pyod = False
    shapes = QUICK_SHAPES if args.quick else SHAPES
    n_inference = 100_000 if args.quick else 1_000_000

    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; medians of {args.repeats}"
    )
    print("\nTraining: fit time")
    print_training_header(with_pyod)
    rows = bench_training(shapes, args.repeats, with_pyod)

    print(f"\nInference: score_samples on {n_inference:,} x 100 float32")
    speed = run_child(n_inference, 100, args.repeats, "time")
    memory = run_child(n_inference, 100, 1, "memory")
    ratio = speed["skae"] / speed["raw"]
    print(f"raw forward, 16,384-row batches  {speed['raw']:.3f}s")
    print(
        f"raw forward, {speed['batch_size']:,}-row batches   {speed['raw_same_batch']:.3f}s "
        "(skae's inference batch size)"
    )
    print(f"skae score_samples               {speed['skae']:.3f}s")
    hybrid_ratio = speed["hybrid"] / speed["reconstruction"]
    print(
        f"on {min(N_HYBRID, n_inference):,} x 100: hybrid score {speed['hybrid']:.3f}s, "
        f"reconstruction score {speed['reconstruction']:.3f}s, hybrid/reconstruction "
        f"{hybrid_ratio:.2f}"
    )
    print(
        f"skae/raw {ratio:.2f}; skae/raw at the same batch size "
        f"{speed['skae'] / speed['raw_same_batch']:.2f}"
    )
    extra_mib = (memory["extra"] - memory["output"]) / 2**20
    print(
        f"peak memory added by score_samples: {memory['extra'] / 2**20:.1f} MiB, "
        f"of which the output is {memory['output'] / 2**20:.1f} MiB; beyond it {extra_mib:.1f} MiB"
    )

    missed = []
    for shape, batch_size, _, medians in rows:
        if medians["skae"] > TARGET_HAND * medians["best hand"]:
            missed.append(f"fit {shape} batch {batch_size}: skae/hand above {TARGET_HAND}")
        if medians["hybrid"] > TARGET_HYBRID_FIT * medians["best hand"]:
            missed.append(f"fit {shape} batch {batch_size}: hybrid/hand above {TARGET_HYBRID_FIT}")
        if "pyod" in medians:
            limit = TARGET_PYOD_256 if batch_size == 256 else TARGET_PYOD
            if medians["skae"] >= limit * medians["pyod"]:
                missed.append(f"fit {shape} batch {batch_size}: skae/pyod not below {limit}")
    if hybrid_ratio > TARGET_HYBRID:
        missed.append(f"score_samples: hybrid/reconstruction above {TARGET_HYBRID}")
    if ratio > TARGET_INFERENCE:
        missed.append(f"score_samples: skae/raw above {TARGET_INFERENCE}")
    if memory["extra"] - memory["output"] > MEMORY_SLACK:
        missed.append("score_samples: more than 64 MiB beyond the output")
    print()
    for line in missed:
        print("MISSED:", line)
    print("all targets met" if not missed else f"{len(missed)} target(s) missed")
    return 1 if missed else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
