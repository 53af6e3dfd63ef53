"""The skorch net skae trains; with :mod:`skae._callbacks`, the only module importing skorch.

skorch runs the training loop, the callbacks (printing, early stopping,
progress bars, checkpoints) and the history. :class:`AutoencoderNet` replaces
three of its generic parts, which are slow or do not fit autoencoders:

* the data path: batches are sliced from whole tensors with one seeded
  permutation per epoch (:class:`skae._batches.TensorBatches`) instead of a
  ``DataLoader`` that indexes and collates one sample at a time;
* the training step: the network may see a corrupted batch (denoising)
  while the loss compares with the clean one, and in data-parallel
  training the gradients are averaged over the processes;
* the loss: the criterion is called as ``criterion(output, X, module=...)``,
  so that a penalty may depend on the network itself (a contractive
  autoencoder's Jacobian, say).

Adam runs its fused kernel rather than PyTorch's default per-tensor loop (see
:func:`skae._training.new_net`).
"""

import copy

import numpy as np
import torch
from skorch import NeuralNet
from skorch.dataset import unpack_data
from skorch.history import History
from skorch.utils import to_tensor

from ._batches import TensorBatches, TensorDataset
from ._distributed import average_gradients

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
    """skorch ``NeuralNet`` for autoencoders trained on :class:`skae._batches.FitData`.

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

    def initialize(self):
        super().initialize()
        # set for each training call by the training layer (see data_parallel)
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
            # on the net's device, where the noise generator draws
            Xi = to_tensor(Xi, self.device)
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
        return self.criterion_(y_pred, to_tensor(X, self.device), module=self.module_)

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
        self.optimizer_.load_state_dict(_to_tensors(state["optimizer"]))
        self.history = History(state["history"])
        self.batch_size = state["batch_size"]
        self.generator_.set_state(torch.as_tensor(np.array(state["generator"])))
        noise_state = torch.as_tensor(np.array(state["noise_generator"]))
        if str(self.device) == state["device"]:
            self.noise_generator_.set_state(noise_state)
        # else: moved between devices, whose generators differ; it keeps its fresh seeding
        return self
