"""The glue between skae's estimators and skorch; the only module importing skorch.

skorch runs the training loop, the callbacks (printing, early stopping,
progress bars, checkpoints) and the history. Two of its generic parts are
replaced here because they are slow for tabular data that already sits in
one tensor:

* the data path: batches are sliced from whole tensors with one seeded
  permutation per epoch (:class:`TensorBatches`) instead of a ``DataLoader``
  that indexes and collates one sample at a time;
* the optimizer step: Adam runs its fused kernel rather than PyTorch's
  default per-tensor loop;
* prediction: :func:`map_batches` runs the bare module in inference mode over
  large slices of a numpy array and writes each result straight into a
  preallocated output, so no more than one batch of activations is alive.
"""

import contextlib
import contextvars
import math
from typing import NamedTuple

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping, ProgressBar
from skorch.dataset import unpack_data
from skorch.history import History
from skorch.utils import noop, to_tensor

__all__ = [
    "AutoencoderNet",
    "DivergenceGuard",
    "FitData",
    "KLWarmup",
    "TensorBatches",
    "average_gradients",
    "broadcast_seeds",
    "data_parallel",
    "distributed_world",
    "export_net_state",
    "make_callbacks",
    "map_batches",
    "restore_net_state",
    "stopped_early",
]


class FitData(NamedTuple):
    """What the estimators hand to skorch: the training rows and the held-out rows."""

    train: torch.Tensor
    valid: torch.Tensor | None = None


class TensorDataset(torch.utils.data.Dataset):
    """A dataset over the rows of one tensor (the input is its own target)."""

    def __init__(self, X):
        self.X = X

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], self.X[i]


_DATA_PARALLEL = contextvars.ContextVar("skae_data_parallel", default=False)


@contextlib.contextmanager
def data_parallel():
    """Train one model over all the processes of a ``torch.distributed`` group.

    Inside this context, every process of the group (started by ``torchrun``
    or ``accelerate launch``) must make the same training calls on the same
    data: each process takes its share of every step's batch, one
    all-reduce per step averages the gradients and the loss, and the seeds
    are rank 0's, so all the processes end with the same model. Outside it,
    each process trains on its own, even in an initialised group.

    Raises
    ------
    RuntimeError
        When no ``torch.distributed`` process group is initialised.

    Examples
    --------
    Run as ``torchrun --nproc_per_node 2 train.py``::

        import torch.distributed as dist
        import skae

        dist.init_process_group()           # or accelerate.Accelerator()
        with skae.data_parallel():
            ae = skae.Autoencoder(device="cuda", random_state=0).fit(X)
    """
    dist = torch.distributed
    if not (dist.is_available() and dist.is_initialized()):
        raise RuntimeError(
            "data_parallel() needs an initialised torch.distributed process group: start "
            "the script with torchrun or accelerate launch, and call "
            "torch.distributed.init_process_group() (accelerate.Accelerator() does) first."
        )
    token = _DATA_PARALLEL.set(True)
    try:
        yield
    finally:
        _DATA_PARALLEL.reset(token)


def distributed_world():
    """``(rank, world_size)`` inside :func:`data_parallel` with several processes, else None."""
    dist = torch.distributed
    if not (_DATA_PARALLEL.get() and dist.is_available() and dist.is_initialized()):
        return None
    world = dist.get_world_size()
    return (dist.get_rank(), world) if world > 1 else None


def _collective_device():
    if torch.distributed.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def broadcast_seeds(seeds):
    """Rank 0's ``seeds`` on every process of a distributed group (unchanged outside one)."""
    if distributed_world() is None:
        return [int(seed) for seed in seeds]
    values = torch.tensor([int(seed) for seed in seeds], dtype=torch.int64)
    values = values.to(_collective_device())
    torch.distributed.broadcast(values, src=0)
    return [int(seed) for seed in values.tolist()]


def average_gradients(module, loss, world_size):
    """Average the gradients and the loss over the processes, in one all-reduce.

    Returns the averaged loss (detached), which every process then records,
    so that stopping rules decide alike everywhere.
    """
    params = [p for p in module.parameters() if p.grad is not None]
    flat = torch.cat([p.grad.reshape(-1) for p in params] + [loss.detach().reshape(1)])
    device = flat.device
    flat = flat.to(_collective_device())
    torch.distributed.all_reduce(flat)
    flat = flat.to(device) / world_size
    offset = 0
    for p in params:
        n = p.numel()
        p.grad.copy_(flat[offset : offset + n].view_as(p.grad))
        offset += n
    return flat[-1]


class TensorBatches:
    """Mini-batches of rows of ``X``, in a fresh seeded order on every pass.

    Parameters
    ----------
    X : torch.Tensor
        All rows, already converted once.
    batch_size : int
    shuffle : bool
        Whether each pass visits the rows in a new random order.
    generator : torch.Generator or None
        Source of the orders; required when ``shuffle`` is True.
    shard : tuple of (int, int) or None
        ``(rank, world_size)`` for data-parallel training: every process
        draws the same order, and at each step process ``rank`` takes the
        ``rank``-th of ``world_size`` consecutive batches, so one step of all
        the processes covers the rows of one batch of ``world_size *
        batch_size`` rows. Every batch is full (the first rows of the order
        are taken again to fill the last ones), so every process records
        the same batch sizes and losses and its stopping rule decides as the
        others' do.

    Notes
    -----
    Each batch is ``(Xb, None)``: skorch unpacks it as ``(X, y)`` and the
    autoencoder's target is ``Xb`` itself. The last batch is kept even when
    it is short, so fewer rows than ``batch_size`` still train.
    """

    def __init__(self, X, batch_size, *, shuffle=False, generator=None, shard=None):
        self.X = X
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator
        self.shard = shard

    def __len__(self):
        if self.shard is None:
            return -(-len(self.X) // self.batch_size)
        return -(-len(self.X) // (self.batch_size * self.shard[1]))

    def __iter__(self):
        n_samples, batch_size = len(self.X), self.batch_size
        if self.shard is not None:
            yield from self._iter_shard()
            return
        if not self.shuffle:
            for start in range(0, n_samples, batch_size):
                yield self.X[start : start + batch_size], None
            return
        order = torch.randperm(n_samples, generator=self.generator)
        for start in range(0, n_samples, batch_size):
            yield self.X.index_select(0, order[start : start + batch_size]), None

    def _iter_shard(self):
        rank, world = self.shard
        n_samples, batch_size = len(self.X), self.batch_size
        if self.shuffle:
            order = torch.randperm(n_samples, generator=self.generator)
        else:
            order = torch.arange(n_samples)
        needed = len(self) * batch_size * world
        if needed > n_samples:
            order = order.repeat(-(-needed // n_samples))[:needed]
        for step in range(len(self)):
            start = (step * world + rank) * batch_size
            yield self.X.index_select(0, order[start : start + batch_size]), None


class AutoencoderNet(NeuralNet):
    """skorch ``NeuralNet`` for autoencoders trained on :class:`FitData`.

    Parameters
    ----------
    module : torch.nn.Module
        An initialised network whose ``forward`` returns ``(output, code, ...)``
        (see :mod:`skae.networks`).
    criterion : torch.nn.Module
        Called as ``criterion(output, X)``.
    shuffle_seed : int, default=0
        Seed of the generator that orders the training rows on each epoch.
    noise_seed : int, default=0
        Seed of the generator that ``corruption`` draws from.
    corruption : callable or None, default=None
        ``corruption(Xb, generator)`` returns a corrupted copy of a training
        batch (see :class:`skae.noise.Corruption`); the network sees it while
        the loss compares with the clean batch. Validation batches are not
        corrupted.
    valid_batch_size : int, default=4096
        Rows per batch when computing the validation loss.
    **kwargs
        Passed to :class:`skorch.NeuralNet`.
    """

    def __init__(
        self,
        module,
        criterion,
        *,
        shuffle_seed=0,
        noise_seed=0,
        corruption=None,
        valid_batch_size=4096,
        **kwargs,
    ):
        super().__init__(module, criterion, **kwargs)
        self.shuffle_seed = shuffle_seed
        self.noise_seed = noise_seed
        self.corruption = corruption
        self.valid_batch_size = valid_batch_size

    def initialize(self):
        super().initialize()
        # set for each training call by the estimator (see data_parallel)
        self.shard_ = None
        self.generator_ = torch.Generator().manual_seed(self.shuffle_seed)
        # noise is drawn where the batch lives, so this generator follows the device
        self.noise_generator_ = torch.Generator(device=self.device).manual_seed(self.noise_seed)
        return self

    def train_step_single(self, batch, **fit_params):
        if self.corruption is None:
            step = super().train_step_single(batch, **fit_params)
        else:
            self._set_training(True)
            Xi, _ = unpack_data(batch)
            y_pred = self.infer(self.corruption(Xi, self.noise_generator_), **fit_params)
            loss = self.get_loss(y_pred, None, X=Xi, training=True)
            loss.backward()
            step = {"loss": loss, "y_pred": y_pred}
        if self.shard_ is not None:
            step["loss"] = average_gradients(self.module_, step["loss"], self.shard_[1])
        return step

    def _set_training(self, training=True):
        # skorch calls this before every batch; ``Module.train`` walks the whole
        # module tree, so only switch the modules whose mode actually changes.
        for name in self._modules + self._criteria:
            module = getattr(self, name + "_")
            if isinstance(module, torch.nn.Module) and module.training != training:
                module.train(training)

    def get_split_datasets(self, X, y=None, **fit_params):
        valid = None if X.valid is None else TensorDataset(X.valid)
        return TensorDataset(X.train), valid

    def get_iterator(self, dataset, training=False):
        if training:
            return TensorBatches(
                dataset.X,
                self.batch_size,
                shuffle=True,
                generator=self.generator_,
                shard=self.shard_,
            )
        return TensorBatches(dataset.X, self.valid_batch_size)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        return self.criterion_(y_pred, to_tensor(X, self.device))


class KLWarmup(Callback):
    """Sets the KL weight of a :class:`skae.losses.VariationalLoss` before each batch.

    The weight rises linearly from 0 to ``beta`` over the first
    ``n_epochs`` epochs of the net's history (counting earlier warm-started
    fits and ``partial_fit`` calls), one step per training batch, then
    stays at ``beta``. With ``n_epochs=0`` it is ``beta`` throughout.

    Parameters
    ----------
    beta : float
        Final weight of the KL term.
    n_epochs : int
        Length of the warm-up, in epochs.
    """

    def __init__(self, beta, n_epochs):
        self.beta = beta
        self.n_epochs = n_epochs

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        world = 1 if net.shard_ is None else net.shard_[1]
        self.n_batches_ = max(1, -(-len(X.train) // (net.batch_size * world)))

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if not training:
            return
        weight = self.beta
        if self.n_epochs > 0:
            epochs_done = len(net.history) - 1
            batches_done = len(net.history[-1]["batches"]) - 1
            progress = (epochs_done + batches_done / self.n_batches_) / self.n_epochs
            weight = self.beta * min(1.0, progress)
        net.criterion_.kl_weight = weight


def _clone(state):
    """Copy the tensors of a state dict (at any depth); other values are shared or shallow-copied.

    Several times faster than ``copy.deepcopy`` on small networks, which matters
    because :class:`DivergenceGuard` copies the state after every epoch.
    """
    if isinstance(state, torch.Tensor):
        return state.detach().clone()
    if isinstance(state, dict):
        return {key: _clone(value) for key, value in state.items()}
    if isinstance(state, list):
        return [_clone(value) for value in state]
    return state


class DivergenceGuard(Callback):
    """Stops training when a batch's loss is no longer finite, and keeps finite weights.

    A loss is computed with the weights from before the batch's step, so a
    finite loss vouches for the weights it was computed with, not for the
    weights after the step. The guard therefore copies the module's weights
    and the optimizer's state at the end of each epoch, and confirms the
    copy when the next training batch (whose loss is computed with exactly
    those weights) has a finite loss. When a loss is NaN or infinite, it puts
    back the last confirmed copy and stops the loop as skorch's own
    ``EarlyStopping`` does, by raising ``KeyboardInterrupt``, which skorch
    catches. The estimator then warns, or raises if nothing was learned.

    The weights at the end of training are not confirmed by a further batch;
    :meth:`restore` lets the estimator fall back on the last confirmed copy
    when they turn out to give non-finite outputs.

    Attributes
    ----------
    diverged_ : bool
        Whether the last training call stopped on a non-finite loss.
    epochs_completed_ : int
        Epochs completed by the last training call.
    epochs_confirmed_ : int
        Epochs of the last training call after which the weights are
        confirmed finite (0: the weights from before the call).
    """

    def on_train_begin(self, net, **kwargs):
        self.diverged_ = False
        self.epochs_completed_ = 0
        self.epochs_confirmed_ = 0
        self._confirmed = self._copy(net)
        self._pending = None

    @staticmethod
    def _copy(net):
        return _clone(net.module_.state_dict()), _clone(net.optimizer_.state_dict())

    def restore(self, net):
        """Put back the last confirmed weights and optimizer state."""
        module_state, optimizer_state = self._confirmed
        net.module_.load_state_dict(module_state)
        net.optimizer_.load_state_dict(optimizer_state)

    def on_batch_end(self, net, batch=None, training=False, loss=None, **kwargs):
        if not training or loss is None:
            return
        if not math.isfinite(loss.item()):
            self.restore(net)
            self.diverged_ = True
            raise KeyboardInterrupt
        if self._pending is not None:
            self._confirmed, self._pending = self._pending, None
            self.epochs_confirmed_ = self.epochs_completed_

    def on_epoch_end(self, net, **kwargs):
        self.epochs_completed_ += 1
        self._pending = self._copy(net)


def make_callbacks(*, early_stopping, tol, n_iter_no_change, verbose, extra=None):
    """The callbacks an estimator adds to skorch's defaults.

    Parameters
    ----------
    early_stopping : bool
        If True, stop when the validation loss has not improved by ``tol``
        for ``n_iter_no_change`` epochs and restore the best weights;
        otherwise stop on the training loss in the same way and keep the
        last weights (scikit-learn's MLP rule).
    tol : float
    n_iter_no_change : int
    verbose : int
        From 2 on, a progress bar per epoch is added.
    extra : list or None
        The user's callbacks, appended last.

    Returns
    -------
    list of (str, skorch.callbacks.Callback)
        A :class:`DivergenceGuard` first, then the stopping rule, the
        progress bar and the user's callbacks.
    """
    monitor = "valid_loss" if early_stopping else "train_loss"
    callbacks = [
        ("divergence", DivergenceGuard()),
        (
            "stopping",
            EarlyStopping(
                monitor=monitor,
                patience=n_iter_no_change,
                threshold=tol,
                threshold_mode="abs",
                load_best=early_stopping,
                sink=print if verbose else noop,
            ),
        ),
    ]
    if verbose >= 2:
        callbacks.append(("progress_bar", ProgressBar()))
    return callbacks + list(extra or [])


def stopped_early(net):
    """Whether the last training call ended through the stopping rule."""
    stopping = dict(net.callbacks_)["stopping"]
    return stopping.misses_ >= stopping.patience


@torch.inference_mode()
def map_batches(
    module, X, fn, out, *, batch_size, device="cpu", on_nonfinite=None, on_nan_output=None
):
    """Write ``fn(module, Xb)`` for successive row slices of ``X`` into ``out``.

    Parameters
    ----------
    module : torch.nn.Module
        Put in evaluation mode.
    X : ndarray of shape (n_samples, ...)
        Numpy rows of any float dtype. Writable float32 rows are used in
        place; other rows are converted to float32 one slice at a time.
    fn : callable
        ``fn(module, Xb)`` returns a tensor with ``len(Xb)`` rows.
    out : ndarray
        Preallocated result with ``len(X)`` rows; float64 outputs receive
        the float32 results cast up.
    batch_size : int
    device : str or torch.device, default="cpu"
    on_nonfinite : callable or None, default=None
        If given, each slice is checked for NaN or infinity while it is in
        the cache, and ``on_nonfinite()`` is called when the check fails; it
        is expected to raise a helpful error (it must also cope with a false
        alarm from a sum that overflowed).
    on_nan_output : callable or None, default=None
        If given, called when a batch's result holds NaN: with finite input,
        that means float32 overflowed inside the network. It is expected to
        raise.

    Returns
    -------
    out : ndarray
    """
    module.eval()
    for start in range(0, len(X), batch_size):
        stop = start + batch_size
        Xb = X[start:stop]
        if on_nonfinite is not None:
            with np.errstate(over="ignore", invalid="ignore"):
                if not np.isfinite(Xb.sum()):
                    on_nonfinite()
        if Xb.dtype != np.float32 or not Xb.flags.writeable:
            with np.errstate(over="ignore"):  # beyond float32: inf, then on_nan_output
                Xb = np.array(Xb, dtype=np.float32)
        result = fn(module, torch.from_numpy(Xb).to(device))
        if on_nan_output is not None and torch.isnan(result).any():
            on_nan_output()
        out[start:stop] = result.cpu().numpy()
    return out


def _to_numpy(value):
    """``value`` with every tensor, at any depth of dicts, lists and tuples, as numpy."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, dict):
        return {key: _to_numpy(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_numpy(item) for item in value)
    return value


def _to_tensors(value):
    """The inverse of :func:`_to_numpy` (numpy scalars and arrays become tensors)."""
    if isinstance(value, np.ndarray):
        return torch.as_tensor(np.array(value))
    if isinstance(value, dict):
        return {key: _to_tensors(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_tensors(item) for item in value)
    return value


_INTERNAL_CALLBACKS = frozenset(
    {
        "epoch_timer",
        "train_loss",
        "valid_loss",
        "print_log",
        "divergence",
        "stopping",
        "progress_bar",
        "kl_warmup",
    }
)


def user_callbacks(net):
    """The ``(name, callback)`` pairs of ``net`` that the user added."""
    return [(name, cb) for name, cb in net.callbacks_ if name not in _INTERNAL_CALLBACKS]


def export_net_state(net):
    """What a fitted :class:`AutoencoderNet` needs to be rebuilt, as plain data.

    Only dicts, lists, tuples, numbers, strings and numpy arrays: the weights,
    the optimizer's state, the history, the generators' states and the
    settings a fit chose. Nothing in it runs code when loaded, which is what
    lets ``skops.io`` load a skae estimator with only skae's classes trusted.
    The one exception is the callbacks the user added, kept as they are
    (with what they recorded); skae's and skorch's own are rebuilt.
    """
    return {
        "user_callbacks": user_callbacks(net),
        "module": _to_numpy(dict(net.module_.state_dict())),
        "optimizer": _to_numpy(net.optimizer_.state_dict()),
        "history": _to_numpy([dict(row) for row in net.history]),
        "generator": net.generator_.get_state().numpy(),
        "noise_generator": net.noise_generator_.get_state().numpy(),
        "device": str(net.device),
        "batch_size": net.batch_size,
        "shuffle_seed": net.shuffle_seed,
        "noise_seed": net.noise_seed,
        "valid_batch_size": net.valid_batch_size,
    }


def restore_net_state(net, state):
    """Load what :func:`export_net_state` saved into a freshly initialised ``net``."""
    net.module_.load_state_dict(_to_tensors(state["module"]))
    net.optimizer_.load_state_dict(_to_tensors(state["optimizer"]))
    net.history = History(state["history"])
    net.batch_size = state["batch_size"]
    net.generator_.set_state(torch.as_tensor(np.array(state["generator"])))
    noise_state = torch.as_tensor(np.array(state["noise_generator"]))
    if str(net.device) == state["device"]:
        net.noise_generator_.set_state(noise_state)
    # else: moved between devices, whose generators differ; it keeps its fresh seeding
    return net
