"""The skorch net skae trains; with its callbacks and logging, the only modules importing skorch.

skorch runs the training loop, the callbacks (printing, early stopping,
progress bars, checkpoints) and the history. :class:`AutoencoderNet` replaces
four of its generic parts, which are slow or do not fit autoencoders:

* the data path: batches are sliced from whole tensors with one seeded
  permutation per epoch (:class:`skae._batches.TensorBatches`) instead of a
  ``DataLoader`` that indexes and collates one sample at a time;
* the training step: the network may see a corrupted batch (denoising)
  while the loss compares with the clean one, and in data-parallel
  training the gradients are averaged over the processes;
* the batch loop: the same history rows and hooks as skorch's, but only the
  callbacks that override a batch hook or ``on_grad_computed`` are called,
  and Adam steps without a closure;
* the loss: the criterion is called as ``criterion(output, target,
  module=...)``, the target being the batch's rows themselves for an
  autoencoder and their paired targets for
  :class:`~skae.EncoderDecoderRegressor`, so that a penalty may depend on the
  network itself (a contractive autoencoder's Jacobian, say); with missing
  entries in the rows, the network sees them at their fill values, and with
  missing entries in the targets the criterion also gets the mask of the
  observed ones (``observed=``).

Adam runs its fused kernel, on one param group, rather than PyTorch's
default per-tensor loop (see :func:`skae._training.new_net`).
"""

import copy
import warnings

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback
from skorch.history import History
from skorch.utils import TeeGenerator, to_tensor

from ._batches import TensorBatches, TensorDataset
from ._callbacks import default_callbacks
from ._distributed import average_gradients
from ._threads import count_flops, threads_for

__all__ = ["AutoencoderNet"]


def _map_leaves(value, leaf):
    """``value`` with ``leaf`` applied at every depth of dicts, lists and tuples."""
    if isinstance(value, dict):
        return {key: _map_leaves(item, leaf) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_map_leaves(item, leaf) for item in value)
    return leaf(value)


def _to_numpy(value):
    """Every tensor in ``value`` as a numpy array."""
    return _map_leaves(value, lambda v: v.detach().cpu().numpy() if torch.is_tensor(v) else v)


def _to_tensors(value):
    """The inverse of :func:`_to_numpy` (numpy arrays become tensors)."""
    return _map_leaves(
        value, lambda v: torch.as_tensor(np.array(v)) if isinstance(v, np.ndarray) else v
    )


class AutoencoderNet(NeuralNet):
    """skorch ``NeuralNet`` for skae's encoder-decoders trained on :class:`skae._batches.FitData`.

    Parameters
    ----------
    module : torch.nn.Module
        An initialised network whose ``forward`` returns ``(output, code, ...)``
        (see :mod:`skae.networks`).
    criterion : torch.nn.Module
        Called as ``criterion(output, X, module=module)``.
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
        # the callbacks that are the user's; skae's and skorch's own are rebuilt, not saved
        self.user_callbacks_ = []

    def __deepcopy__(self, memo):
        # attribute by attribute, past skorch's pickling, so that the copy keeps
        # its links (a network drawing from the net's noise generator, say)
        new = self.__class__.__new__(self.__class__)
        memo[id(self)] = new
        state = dict(vars(self))
        history = state.pop("history", None)
        new.__dict__.update(copy.deepcopy(state, memo))
        if history is not None:
            # skorch writes only to the epoch it appends; the finished rows are shared,
            # so that continuing a long stream does not copy its whole history each chunk
            new.history = History(list(history))
        return new

    def get_default_callbacks(self):
        return default_callbacks(self.verbose)

    def initialize(self):
        super().initialize()
        # set for each training call by the training layer (see data_parallel)
        self.shard_ = None
        self.generator_ = torch.Generator().manual_seed(self.shuffle_seed)
        # noise is drawn where the batch lives, so this generator follows the device
        self.noise_generator_ = torch.Generator(device=self.device).manual_seed(self.noise_seed)
        self.sample_flops_ = None
        self.missing_fill_ = None
        self.masked_loss_ = False
        return self

    def sample_flops(self, sample):
        """Forward FLOPs of one sample (``sample``: one row of the data), counted once."""
        if getattr(self, "sample_flops_", None) is None:
            self.sample_flops_ = count_flops(self.module_, sample.to(self.device))
        return self.sample_flops_

    def threads(self, n_threads, n_rows, sample):
        """The CPU thread count for batches of ``n_rows`` samples like ``sample``."""
        if torch.device(self.device).type != "cpu":
            return torch.get_num_threads()
        return threads_for(n_threads, n_rows * self.sample_flops(sample))

    def _hooks(self, name):
        """The callbacks' ``name`` methods that do something.

        skorch calls every callback's hook on every batch; most are the
        base class' no-op, and calling them cost about a tenth of a small
        network's step.
        """
        base = getattr(Callback, name)
        return [
            getattr(cb, name)
            for _, cb in self.callbacks_
            if getattr(type(cb), name, base) is not base
        ]

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        # skorch's loop and history rows, calling only the batch hooks that do something
        if iterator is None:
            return
        begin, end = self._hooks("on_batch_begin"), self._hooks("on_batch_end")
        self.grad_hooks_ = self._hooks("on_grad_computed")
        loss_key, size_key = prefix + "_loss", prefix + "_batch_size"
        rows = self.history[-1]["batches"]
        count = 0
        for batch in iterator:
            # what NeuralNet.on_batch_begin does: a new history row for the batch
            rows.append({})
            for hook in begin:
                hook(self, batch=batch, training=training)
            step = step_fn(batch, **fit_params)
            rows[-1][loss_key] = step["loss"].item()
            rows[-1][size_key] = batch[0].shape[0]
            for hook in end:
                hook(self, batch=batch, training=training, **step)
            count += 1
        self.history.record(prefix + "_batch_count", count)

    def train_step(self, batch, **fit_params):
        # skorch's step without the optimizer closure (Adam calls it once), and
        # with ``on_grad_computed`` only when a callback listens to it
        self.optimizer_.zero_grad()
        step = self.train_step_single(batch, **fit_params)
        if getattr(self, "grad_hooks_", True):
            self.notify(
                "on_grad_computed",
                named_parameters=TeeGenerator(self.get_all_learnable_params()),
                batch=batch,
                training=True,
            )
        self.optimizer_.step()
        return step

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        # on the net's device, where the noise generator draws
        Xi = batch[0].to(self.device)
        target = Xi if batch[1] is None else batch[1].to(self.device)
        inputs = self._inputs(Xi)
        if self.corruption is not None:
            inputs = self.corruption(inputs, self.noise_generator_)
        y_pred = self.module_(inputs, **fit_params)
        loss = self._loss(y_pred, target)
        loss.backward()
        step = {"loss": loss, "y_pred": y_pred}
        if self.shard_ is not None:
            step["loss"] = average_gradients(self.module_, step["loss"], self.shard_[1])
        return step

    def _inputs(self, X):
        """What the network sees of rows ``X``: a missing entry (NaN) takes its fill value.

        ``missing_fill_`` is set for each training call whose rows have
        missing entries, else None (and ``X`` is passed as it is); a network
        that reads missing entries itself (``reads_missing``) gets them as NaN.
        """
        if getattr(self, "missing_fill_", None) is None or getattr(
            self.module_, "reads_missing", False
        ):
            return X
        return torch.where(torch.isnan(X), self.missing_fill_, X)

    def _loss(self, y_pred, target):
        """The criterion against ``target``, leaving its missing entries out of it.

        ``target`` is the batch's rows for an autoencoder and their targets
        for a paired model; ``masked_loss_`` is set for each training call
        whose targets have missing entries (NaN).
        """
        if not getattr(self, "masked_loss_", False):
            return self.criterion_(y_pred, target, module=self.module_)
        observed = ~torch.isnan(target)
        target = torch.where(observed, target, 0.0)
        return self.criterion_(y_pred, target, module=self.module_, observed=observed)

    def infer(self, x, **fit_params):
        return super().infer(self._inputs(to_tensor(x, self.device)), **fit_params)

    def _set_training(self, training=True):
        # skorch calls this before every batch; ``Module.train`` walks the whole
        # module tree, so only switch the modules whose mode actually changes.
        if self.module_.training == training and self.criterion_.training == training:
            return
        for name in self._modules + self._criteria:
            module = getattr(self, name + "_")
            if isinstance(module, torch.nn.Module) and module.training != training:
                module.train(training)

    def get_split_datasets(self, X, y=None, **fit_params):
        valid = None if X.valid is None else TensorDataset(X.valid, X.valid_targets)
        return TensorDataset(X.train, X.train_targets), valid

    def get_iterator(self, dataset, training=False):
        if training:
            return TensorBatches(
                dataset.X,
                self.batch_size,
                Y=dataset.Y,
                shuffle=True,
                generator=self.generator_,
                shard=self.shard_,
            )
        return TensorBatches(dataset.X, self.valid_batch_size, Y=dataset.Y)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        target = X if y_true is None else y_true
        return self._loss(y_pred, to_tensor(target, self.device))

    # ------------------------------------------------------------------
    # Persistence as plain data

    def named_user_callbacks(self):
        """The ``(name, callback)`` pairs the user added, with what they recorded."""
        return [
            (name, cb)
            for name, cb in self.callbacks_
            if any(cb is user for user in self.user_callbacks_)
        ]

    def saved_user_callbacks(self):
        """:meth:`named_user_callbacks` without the torch objects they hold.

        A callback's torch objects (the scheduler skorch's ``LRScheduler``
        builds on the optimizer, a tensor it kept) belong to this net's
        training and are rebuilt when training resumes; what a callback
        recorded as plain data is kept.
        """
        runtime = (
            torch.Tensor,
            torch.nn.Module,
            torch.optim.Optimizer,
            torch.optim.lr_scheduler.LRScheduler,
            torch.optim.lr_scheduler.ReduceLROnPlateau,
            torch.Generator,
        )
        saved = []
        for name, cb in self.named_user_callbacks():
            held = {k for k, v in vars(cb).items() if isinstance(v, runtime)}
            if held:
                cb = copy.copy(cb)
                for key in held:
                    delattr(cb, key)
            saved.append((name, cb))
        return saved

    def plain_state(self):
        """What this fitted net needs to be rebuilt, as plain data.

        Only dicts, lists, tuples, numbers, strings and numpy arrays: the
        weights, the optimizer's state, the history, the generators' states
        and the settings a fit chose. Nothing in it runs code when loaded,
        which is what lets ``skops.io`` load a skae estimator with only
        skae's classes trusted. The one exception is the callbacks the user
        added, kept as they are; skae's and skorch's own are rebuilt.
        """
        return {
            "user_callbacks": self.saved_user_callbacks(),
            "module": _to_numpy(dict(self.module_.state_dict())),
            "optimizer": _to_numpy(self.optimizer_.state_dict()),
            "history": _to_numpy([dict(row) for row in self.history]),
            "generator": self.generator_.get_state().numpy(),
            "noise_generator": self.noise_generator_.get_state().numpy(),
            "device": str(self.device),
            "batch_size": self.batch_size,
            "shuffle_seed": self.shuffle_seed,
            "noise_seed": self.noise_seed,
            "valid_batch_size": self.valid_batch_size,
        }

    def load_plain_state(self, state):
        """Load what :meth:`plain_state` saved into this freshly initialised net."""
        self.module_.load_state_dict(_to_tensors(state["module"]))
        optimizer = state["optimizer"]
        if len(optimizer["param_groups"]) == len(self.optimizer_.param_groups):
            self.optimizer_.load_state_dict(_to_tensors(optimizer))
        else:
            # saved by an earlier skae, whose Adam kept the biases in a group of their own,
            # in an order that can not be recovered
            warnings.warn(
                "This model was saved by an earlier version of skae: its weights are "
                "loaded, and Adam's running averages start afresh if it trains further.",
                UserWarning,
                stacklevel=4,
            )
        self.history = History(state["history"])
        self.batch_size = state["batch_size"]
        self.generator_.set_state(torch.as_tensor(np.array(state["generator"])))
        noise_state = torch.as_tensor(np.array(state["noise_generator"]))
        if str(self.device) == state["device"]:
            self.noise_generator_.set_state(noise_state)
        # else: moved between devices, whose generators differ; it keeps its fresh seeding
        return self
