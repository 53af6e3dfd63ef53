"""Seeds, device, building and running the net; a training call returns its outcome.

The estimators never look inside skorch or its callbacks: :func:`train` sets
the net up for one training call, runs it and answers with a
:class:`TrainingOutcome` (epochs completed, stopped early, diverged,
interrupted).
"""

import copy
import os
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch
from sklearn.utils import check_random_state

from ._callbacks import make_callbacks
from ._distributed import broadcast_seeds, distributed_world
from ._net import AutoencoderNet
from ._threads import torch_threads

__all__ = [
    "SEEDS",
    "TrainingConfig",
    "TrainingOutcome",
    "device_unavailable",
    "draw_seeds",
    "new_net",
    "resolve_device",
    "set_callbacks",
    "train",
]


SEEDS = {
    "init": "the initial weights",
    "shuffle": "the order of the training rows on each epoch",
    "split": "the validation split of early_stopping",
    "noise": "training-time corruption and the variational draws",
    "stats": "the outlier statistics: their subsample of large training sets, their references",
}
"""One seed per purpose, drawn in this order once per fresh fit."""


def draw_seeds(random_state):
    """A dict of one int seed per purpose of :data:`SEEDS`, drawn from ``random_state``.

    In data-parallel training, every process gets rank 0's. A plain dict of
    ints, so that a saved estimator holds no class but its own.
    """
    rng = check_random_state(random_state)
    values = broadcast_seeds(rng.randint(np.iinfo(np.int32).max, size=len(SEEDS)))
    return dict(zip(SEEDS, values))


DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu")
"""The kinds of torch device skae trains on."""


def device_unavailable(device):
    """Why torch device ``device`` (a ``torch.device``) can not be used here, or None."""
    if device.type == "cpu":
        return None
    backend = getattr(torch.backends, device.type, None) if device.type == "mps" else None
    backend = backend or getattr(torch, device.type, None)
    if backend is None or not backend.is_available():
        return f"torch sees no {device.type.upper()} device here"
    if device.index is not None and device.type != "mps":
        count = backend.device_count()
        if device.index >= count:
            return f"torch sees {count} {device.type.upper()} device(s), numbered from 0"
    return None


def resolve_device(device):
    """The torch device string for the ``device`` parameter, or a ValueError.

    ``"auto"`` takes the first CUDA GPU when there is one, else the CPU; any
    other string is one that ``torch.device`` accepts (``"cpu"``, ``"cuda"``,
    ``"cuda:1"``, ``"mps"``), of a kind that is available here.
    """
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        parsed = None
    if parsed is None or parsed.type not in DEVICE_TYPES:
        raise ValueError(
            f"device must be 'auto' or a torch device string such as 'cpu', 'cuda', "
            f"'cuda:1' or 'mps'; got {device!r}."
        )
    reason = device_unavailable(parsed)
    if reason is not None:
        raise ValueError(
            f"device={device!r} was requested but {reason}; use device='cpu', or "
            "device='auto' to take a GPU only when there is one."
        )
    if device == "cuda" and distributed_world() is not None:
        # one GPU per process: torchrun and accelerate launch set LOCAL_RANK
        device = f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
    return str(device)


class TrainingConfig(NamedTuple):
    """The settings of one training call, taken from the estimator's parameters."""

    epochs: int
    batch_size: int
    learning_rate: float
    alpha: float
    early_stopping: bool
    tol: float
    n_iter_no_change: int
    verbose: int
    callbacks: list
    """The user's callbacks (copied for the call)."""
    extra_callbacks: list = []
    """A variant's own ``(name, callback)`` pairs, run before the others."""
    monitor: str | None = None
    """A history key the stopping rule watches (best weights restored) instead of the losses."""
    corruption: Callable | None = None
    n_threads: object = "auto"
    """``"auto"`` or an int: see :func:`skae._threads.threads_for`."""
    fill: torch.Tensor | None = None
    """The values missing entries take in the network's input, when the rows have any."""
    masked_loss: bool = False
    """Whether the targets have missing entries, which the loss leaves out."""
    loss_floor: float = 0.0
    """The lowest loss reachable on the training targets; ``tol`` is relative to the rest."""


class TrainingOutcome(NamedTuple):
    """How a training call ended."""

    epochs: int
    """Epochs asked for."""
    epochs_completed: int
    epochs_confirmed: int
    """Epochs after which the weights are known to give finite losses."""
    diverged: bool
    stopped_early: bool
    fall_back: Callable
    """Puts back the weights confirmed before the end-of-call check; returns their epochs."""

    @property
    def interrupted(self):
        """Whether a KeyboardInterrupt (Ctrl-C, or a callback) ended the call."""
        return not (self.diverged or self.stopped_early) and self.epochs_completed < self.epochs


def new_net(
    module, criterion, *, device, shuffle_seed, noise_seed, valid_batch_size, learning_rate
):
    """Wrap ``module`` in a freshly initialised :class:`~skae._net.AutoencoderNet`."""
    return AutoencoderNet(
        module,
        criterion=criterion,
        optimizer=torch.optim.Adam,
        lr=learning_rate,
        optimizer__fused=True,
        train_split=None,
        device=device,
        shuffle_seed=int(shuffle_seed),
        noise_seed=int(noise_seed),
        valid_batch_size=valid_batch_size,
    ).initialize()


def set_callbacks(net, internal, user):
    """Give ``net`` skae's ``internal`` callbacks followed by the ``user``'s."""
    user = list(user or [])
    net.callbacks = list(internal) + user
    net.user_callbacks_ = [item[1] if isinstance(item, tuple) else item for item in user]
    net.initialize_callbacks()


def train(net, data, config):
    """Run one training call of ``config.epochs`` epochs on ``net``.

    Settings that may change between calls (batch size, callbacks, learning
    rate, weight decay) are set from ``config`` first, so that ``set_params``
    between a ``fit`` and a warm-started ``fit`` or a ``partial_fit`` takes
    effect.

    Returns
    -------
    TrainingOutcome
    """
    net.shard_ = distributed_world()
    net.batch_size = config.batch_size
    net.verbose = config.verbose
    net.corruption = config.corruption
    net.missing_fill_ = config.fill
    net.masked_loss_ = config.masked_loss
    guard, stopping, internal = make_callbacks(
        early_stopping=config.early_stopping,
        tol=config.tol,
        floor=config.loss_floor,
        n_iter_no_change=config.n_iter_no_change,
        verbose=config.verbose,
        monitor=config.monitor,
    )
    set_callbacks(net, [*config.extra_callbacks, *internal], copy.deepcopy(config.callbacks))
    for group in net.optimizer_.param_groups:
        group["lr"] = config.learning_rate
        # scikit-learn's MLP adds alpha * W / batch_size to the gradients
        group["weight_decay"] = config.alpha / net.batch_size
    threads = net.threads(config.n_threads, net.batch_size, data.train[:1])
    with torch_threads(threads):
        net.partial_fit(data, epochs=config.epochs)
    return TrainingOutcome(
        epochs=config.epochs,
        epochs_completed=guard.epochs_completed_,
        epochs_confirmed=guard.epochs_confirmed_,
        diverged=guard.diverged_,
        stopped_early=stopping.stopped_,
        fall_back=guard.fall_back,
    )
