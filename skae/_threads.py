"""How many CPU threads torch computes with during a call, chosen from the work per batch.

torch's intra-op thread count (``torch.set_num_threads``) suits large
operations: a small network's batch is too little work to share, and two
threads then cost as much as one or more, while a convolutional network's
batch trains up to about 1.6 times as fast on two.
On a machine busy with other work, threads waiting for a core make the
difference far larger. skae therefore computes on one thread when a batch
holds less than :data:`MIN_FLOPS_PER_THREAD` per thread of the caller's
setting, and restores the caller's setting when the call returns.

The rule was chosen on a sweep of a hand-written training loop over dense and
convolutional networks and batch sizes (see ``docs/performance.md``) and
confirmed on the shapes of ``benchmarks/bench_speed.py``, which played no part
in the choice.
"""

import math
from contextlib import contextmanager
from numbers import Integral

import torch

__all__ = ["MIN_FLOPS_PER_THREAD", "count_flops", "threads_for", "torch_threads"]

MIN_FLOPS_PER_THREAD = 5e6
"""Floating-point operations of one forward pass over a batch, per thread, below which
another thread costs more than it saves.

In the sweep of ``docs/performance.md``, batches of up to 7.1e6 forward
FLOPs trained as fast or faster on one thread as on two (dense networks),
batches of 1.4e7 and more 8-42% faster on two (dense and convolutional). An
earlier run of the same grid found two threads faster at 7.3e6: the boundary
lies between 7e6 and 1.4e7, where the two differ by less than this
machine's noise.
"""


def _layer_flops(layer, inputs, output):
    """Multiply-adds (times two) of one linear or convolutional layer's forward pass."""
    if isinstance(layer, torch.nn.Linear):
        return 2 * output.numel() * layer.in_features
    if isinstance(layer, torch.nn.modules.conv._ConvNd):
        per_output = layer.in_channels // layer.groups * math.prod(layer.kernel_size)
        if layer.transposed:
            # each input position meets every weight once
            return 2 * inputs[0].numel() // layer.in_channels * layer.weight.numel()
        return 2 * output.numel() * per_output
    return 0


def count_flops(module, sample):
    """Floating-point operations of encoding and decoding ``sample`` (one sample).

    Counts the multiply-adds of the linear and convolutional layers (the
    rest of a network's work is small beside them) with forward hooks,
    which costs a fraction of a millisecond where ``torch.utils.flop_counter``
    took about three. Runs in evaluation mode without gradients, so that
    nothing the module holds (running statistics, a random generator)
    changes; the module's mode is put back.
    """
    total = [0]

    def hook(layer, inputs, output):
        total[0] += _layer_flops(layer, inputs, output)

    layers = [
        m
        for m in module.modules()
        if isinstance(m, (torch.nn.Linear, torch.nn.modules.conv._ConvNd))
    ]
    handles = [layer.register_forward_hook(hook) for layer in layers]
    training = module.training
    module.eval()
    try:
        with torch.no_grad():
            module(sample)
    finally:
        module.train(training)
        for handle in handles:
            handle.remove()
    return total[0]


def threads_for(n_threads, flops_per_batch):
    """The thread count for batches of ``flops_per_batch`` forward FLOPs.

    Parameters
    ----------
    n_threads : "auto" or int
        The estimator's parameter: an int is used as it is; ``"auto"`` gives
        one thread per :data:`MIN_FLOPS_PER_THREAD` of a batch, at least one
        and at most torch's current setting (the caller's: the number of
        physical cores by default, one in a joblib worker of ``n_jobs``
        processes on as many cores).
    flops_per_batch : float

    Returns
    -------
    int
    """
    if isinstance(n_threads, Integral) and not isinstance(n_threads, bool) and n_threads >= 1:
        return int(n_threads)
    if n_threads != "auto":
        raise ValueError(f"n_threads must be 'auto' or an int >= 1; got {n_threads!r}.")
    available = torch.get_num_threads()
    if not math.isfinite(flops_per_batch):
        return available
    return max(1, min(available, int(flops_per_batch // MIN_FLOPS_PER_THREAD)))


@contextmanager
def torch_threads(n):
    """Compute on ``n`` intra-op threads inside the block; the caller's setting afterwards.

    torch's setting, like OpenMP's, belongs to the thread that makes it
    (the main thread's is the default of threads that made none), so fits
    running in several Python threads each use and restore their own.
    """
    caller = torch.get_num_threads()
    if n == caller:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(caller)
