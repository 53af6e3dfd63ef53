"""skae's skorch callbacks: the divergence guard, the stopping rule, the KL warm-up.

Together with :mod:`skae._net`, the only module that imports skorch. The
training layer (:mod:`skae._training`) keeps a reference to the guard and the
stopping rule it creates and reads its outcome from their public attributes.
"""

import math
from typing import NamedTuple

import torch
from skorch.callbacks import (
    Callback,
    EarlyStopping,
    EpochTimer,
    LRScheduler,
    PassthroughScoring,
    ProgressBar,
)
from skorch.utils import noop

from ._logging import TablePrintLog, on_screen

__all__ = [
    "DivergenceGuard",
    "EpochLoss",
    "HeldOutEntries",
    "KLWarmup",
    "StoppingRule",
    "check_callbacks",
    "default_callbacks",
    "held_out_callbacks",
    "make_callbacks",
]

RESERVED_NAMES = frozenset(
    {"divergence", "stopping", "progress_bar", "kl_warmup", "held_out", "lr_plateau"}
)
"""Names of the callbacks skae adds; a user's callback may not take them."""


def _clone(state):
    """Copy the tensors of a state dict (at any depth); other values are shared or shallow-copied.

    Several times faster than ``copy.deepcopy`` on small networks, which matters
    because :class:`DivergenceGuard` copies the state after every epoch.
    """
    if hasattr(state, "detach"):
        return state.detach().clone()
    if isinstance(state, dict):
        return {key: _clone(value) for key, value in state.items()}
    if isinstance(state, list):
        return [_clone(value) for value in state]
    return state


EXPLOSION = 1e6
"""A training batch whose loss exceeds this many times the call's first batch loss diverged.

Losses that grow a million-fold do not come back: with too large a learning
rate they climb within a few steps to 1e20 or more and stay there while
still finite.
"""


EXPLODED_IN_A_ROW = 3
"""Exploded training batches in a row that stop training.

One extreme training row explodes the loss of the batch it is in, once per
epoch: with reshuffling, it can be in the last batch of one epoch and the
first of the next, never in three batches in a row.
"""


class _Copy(NamedTuple):
    """What :class:`DivergenceGuard` puts back: live tensors and their copies, or state dicts."""

    live: list | None
    saved: list | None
    groups: list
    """The optimizer's param group settings (learning rate, ...), without the parameters."""
    dicts: tuple | None


class DivergenceGuard(Callback):
    """Stops training when the loss explodes or is no longer finite; keeps sane weights.

    A loss is computed with the weights from before the batch's step, so a
    sane loss vouches for the weights it was computed with, not for the
    weights after the step. The guard therefore copies the module's weights
    and the optimizer's state at the end of each epoch, and confirms the
    copy when a later training batch (whose loss is computed with those
    weights or their successors) has a sane loss.

    A loss is NaN or infinite, or it explodes: above ``EXPLOSION`` times
    the reference, the loss of the first training rows (one batch, in
    evaluation mode, without gradients) with the weights the call starts
    from. A non-finite loss, or ``EXPLODED_IN_A_ROW`` exploded batches in a
    row, put back the last confirmed copy and stop the loop as skorch's own ``EarlyStopping``
    does, by raising ``KeyboardInterrupt``, which skorch catches. Fewer
    exploded batches are not enough: a batch that holds an extreme
    training row can have a loss that much higher than the others.

    At the end of the call, the weights the last step left are checked on
    the same rows as the reference (a ``partial_fit`` of a single batch has
    no later batch to vouch for them). :meth:`fall_back` lets the estimator
    go back to the copy confirmed before that check when the weights turn
    out to give non-finite outputs.

    Attributes
    ----------
    diverged_ : bool
        Whether the last training call stopped on a non-finite or exploded loss.
    epochs_completed_ : int
        Epochs completed by the last training call.
    epochs_confirmed_ : int
        Epochs of the last training call after which the weights are
        confirmed sane (0: the weights from before the call).
    """

    def on_train_begin(self, net, X=None, **kwargs):
        self.diverged_ = False
        self.epochs_completed_ = 0
        self.epochs_confirmed_ = 0
        self._live = None
        self._spare = []
        self._confirmed = self._copy(net)
        self._fallback = (self._confirmed, 0)
        self._pending = None
        self._exploded_in_a_row = 0
        self._rows = self._targets = None
        if X is not None:
            self._rows = X.train[: net.batch_size]
            if X.train_targets is not None:
                self._targets = X.train_targets[: net.batch_size].to(net.device)
        reference = self._reference_loss(net)
        self._limit = EXPLOSION * abs(reference) if math.isfinite(reference) else math.inf

    def _reference_loss(self, net):
        """The loss of the reference rows with the net's current weights (NaN without rows)."""
        if self._rows is None or len(self._rows) == 0:
            return math.nan
        training = net.module_.training
        net._set_training(False)
        with torch.no_grad():
            loss = net.get_loss(net.infer(self._rows.to(net.device)), self._targets, X=self._rows)
        net._set_training(training)
        return loss.item()

    def _exploded(self, loss):
        return abs(loss) > self._limit

    def _live_tensors(self, net):
        """The tensors a copy holds: the module's state, then Adam's, once Adam has it for all."""
        if self._live is None:
            params = [p for group in net.optimizer_.param_groups for p in group["params"]]
            state = net.optimizer_.state
            if all(p in state for p in params):
                optimizer_tensors = [
                    value for p in params for value in state[p].values() if torch.is_tensor(value)
                ]
                self._live = [*net.module_.state_dict().values(), *optimizer_tensors]
        return self._live

    def _copy(self, net, reuse=None):
        """A copy of the weights and the optimizer's state, in ``reuse``'s buffers if given.

        Once Adam holds state for every parameter, the copy is of the live
        tensors, with one ``torch._foreach_copy_`` into buffers reused from
        copies no longer needed: after every epoch of a small network that is
        several times cheaper than cloning the state dicts, which is what the
        copy at the start of a fresh fit (no optimizer state yet) does.
        """
        groups = [
            {key: value for key, value in group.items() if key != "params"}
            for group in net.optimizer_.param_groups
        ]
        live = self._live_tensors(net)
        if live is None:
            dicts = (_clone(net.module_.state_dict()), _clone(net.optimizer_.state_dict()))
            return _Copy(None, None, groups, dicts)
        with torch.no_grad():
            if reuse is not None and reuse.live is live:
                torch._foreach_copy_(reuse.saved, live)
                return reuse._replace(groups=groups)
            return _Copy(live, [tensor.clone() for tensor in live], groups, None)

    @staticmethod
    def _load(net, copy):
        if copy.dicts is not None:
            module_state, optimizer_state = copy.dicts
            net.module_.load_state_dict(module_state)
            net.optimizer_.load_state_dict(optimizer_state)
            return
        with torch.no_grad():
            torch._foreach_copy_(copy.live, copy.saved)
        for group, saved in zip(net.optimizer_.param_groups, copy.groups):
            group.update(saved)

    def restore(self, net):
        """Put back the last confirmed weights and optimizer state."""
        self._load(net, self._confirmed)

    def fall_back(self, net):
        """Put back the copy confirmed before the end-of-call check; return its epoch count."""
        copy, epochs = self._fallback
        self._load(net, copy)
        self.epochs_confirmed_ = epochs
        return epochs

    def _confirm(self):
        dropped = self._fallback[0]
        self._fallback = (self._confirmed, self.epochs_confirmed_)
        self._confirmed, self._pending = self._pending, None
        if dropped is not self._fallback[0] and dropped.live is not None:
            self._spare.append(dropped)
        self.epochs_confirmed_ = self.epochs_completed_

    def on_batch_end(self, net, batch=None, training=False, loss=None, **kwargs):
        if not training or loss is None:
            return
        value = loss.item()
        if not math.isfinite(value) or self._exploded(value):
            self._exploded_in_a_row += 1
            if not math.isfinite(value) or self._exploded_in_a_row >= EXPLODED_IN_A_ROW:
                self.restore(net)
                self.diverged_ = True
                raise KeyboardInterrupt
            return
        self._exploded_in_a_row = 0
        if self._pending is not None:
            self._confirm()

    def on_epoch_end(self, net, **kwargs):
        self.epochs_completed_ += 1
        reuse = self._pending
        if reuse is None and self._spare:
            reuse = self._spare.pop()
        self._pending = self._copy(net, reuse)

    def on_train_end(self, net, X=None, **kwargs):
        if self.diverged_ or self._pending is None:
            return
        loss = self._reference_loss(net)
        if math.isnan(loss) and self._rows is None:
            return
        if not math.isfinite(loss) or self._exploded(loss):
            self.restore(net)
            self.diverged_ = True
        else:
            self._confirm()


class EpochLoss(PassthroughScoring):
    """skorch's ``PassthroughScoring``, reading the epoch's batch rows directly.

    The same batch-size-weighted mean of the batches' losses (summed
    exactly, with ``math.fsum``), recorded under the same names; skorch's
    history slicing and ``np.average`` cost more than the rest of a small
    network's epoch bookkeeping together.
    """

    def on_epoch_end(self, net, **kwargs):
        size_key = "train_batch_size" if self.on_train else "valid_batch_size"
        rows = [row for row in net.history[-1]["batches"] if self.name in row]
        if not rows:
            return
        sizes = [row[size_key] for row in rows]
        score = math.fsum(row[self.name] * size for row, size in zip(rows, sizes)) / sum(sizes)
        is_best = self._is_best_score(score)
        if is_best:
            self.best_score_ = score
        net.history.record(self.name, score)
        if is_best is not None:
            net.history.record(self.name + "_best", bool(is_best))


def default_callbacks(verbose):
    """skorch's default callbacks; the table of losses only when it is printed."""
    callbacks = [
        ("epoch_timer", EpochTimer()),
        ("train_loss", EpochLoss("train_loss", on_train=True)),
        ("valid_loss", EpochLoss("valid_loss")),
    ]
    if verbose:
        callbacks.append(("print_log", TablePrintLog()))
    return callbacks


class StoppingRule(EarlyStopping):
    """skorch's ``EarlyStopping``, recording whether it ended the last training call.

    With ``threshold_mode="rel"``, the threshold is relative to the part of
    the loss above ``floor``, the lowest loss reachable: ``EarlyStopping``'s
    other parameters as they are.

    Attributes
    ----------
    stopped_ : bool
        Whether the monitored loss stopped improving by ``threshold`` for
        ``patience`` epochs, which ended the last training call.
    """

    def __init__(self, floor=0.0, **kwargs):
        super().__init__(**kwargs)
        self.floor = floor

    def _calc_new_threshold(self, score):
        if self.threshold_mode != "rel":
            return super()._calc_new_threshold(score)
        # a score below the floor (a validation loss, say) must still fall to count
        return score - self.threshold * max(score - self.floor, 0.0)

    def on_train_begin(self, net, **kwargs):
        self.stopped_ = False
        return super().on_train_begin(net, **kwargs)

    def on_epoch_end(self, net, **kwargs):
        try:
            super().on_epoch_end(net, **kwargs)
        except KeyboardInterrupt:
            self.stopped_ = True
            raise


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

    def on_epoch_begin(self, net, **kwargs):
        # the epochs of the net's history before this one, and a count of this one's batches
        self._epochs_done = len(net.history) - 1
        self._batches_done = 0

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if not training:
            return
        weight = self.beta
        if self.n_epochs > 0:
            progress = (self._epochs_done + self._batches_done / self.n_batches_) / self.n_epochs
            weight = self.beta * min(1.0, progress)
        self._batches_done += 1
        net.criterion_.kl_weight = weight


class HeldOutEntries(Callback):
    """Records, after each epoch, how well the network predicts entries it never saw.

    The rows are given with the held-out entries (and the missing ones) as
    NaN, to a network that reads missing entries itself
    (``reads_missing``); the loss recorded as ``held_out_loss`` is the mean
    squared error of the reconstruction at the held-out entries. The rows
    are dropped when training ends.

    Parameters
    ----------
    rows : torch.Tensor of shape (n, n_features)
        Training rows with NaN at their missing and held-out entries.
    held : torch.Tensor of bool, same shape
        Where the held-out entries are.
    values : torch.Tensor, same shape
        Their true values (anything elsewhere).
    batch_size : int, default=4096
        Rows per forward pass.
    """

    def __init__(self, rows, held, values, batch_size=4096):
        self.rows, self.held, self.values = rows, held, values
        self.batch_size = batch_size

    def on_epoch_end(self, net, **kwargs):
        if self.rows is None:
            return
        total = 0.0
        net._set_training(False)
        with torch.no_grad():
            for start in range(0, len(self.rows), self.batch_size):
                stop = start + self.batch_size
                rows = self.rows[start:stop].to(net.device)
                output = net.module_.decode(net.module_.encode(rows))
                error = (output - self.values[start:stop].to(net.device)).square()
                total += error[self.held[start:stop].to(net.device)].sum().item()
        net.history.record("held_out_loss", total / max(1, int(self.held.sum())))

    def on_train_end(self, net, **kwargs):
        self.rows = self.held = self.values = None


def held_out_callbacks(rows, held, values, *, patience, factor=0.3):
    """The callbacks of training judged on held-out entries.

    :class:`HeldOutEntries` records ``held_out_loss``; skorch's
    ``LRScheduler`` with ``ReduceLROnPlateau`` multiplies the learning rate
    by ``factor`` when that loss has not improved for ``patience`` epochs.
    The estimator's stopping rule watches the same loss (see
    ``_stopping_monitor``).
    """
    return [
        ("held_out", HeldOutEntries(rows, held, values)),
        (
            "lr_plateau",
            LRScheduler(
                policy="ReduceLROnPlateau",
                monitor="held_out_loss",
                patience=patience,
                factor=factor,
            ),
        ),
    ]


def make_callbacks(*, early_stopping, tol, n_iter_no_change, verbose, monitor=None, floor=0.0):
    """The guard, the stopping rule and the progress bar an estimator trains with.

    Parameters
    ----------
    early_stopping : bool
        If True, stop when the validation loss has not fallen below
        ``1 - tol`` times its last improvement for ``n_iter_no_change``
        epochs and restore the best weights;
        otherwise stop on the training loss in the same way and keep the
        last weights (scikit-learn's MLP rule).
    tol : float
        Relative to the part of the loss above ``floor``.
    n_iter_no_change : int
    verbose : int
        From 2 on, a progress bar per epoch is added when the output is on
        a screen (a terminal or a notebook), not in a file.
    monitor : str or None, default=None
        A history key recorded on each epoch by another callback: if given,
        the rule stops on it, whatever ``early_stopping``, and restores the
        best weights.
    floor : float, default=0.0
        The lowest value the monitored loss can take (the targets' entropy
        under the binary cross-entropy).

    Returns
    -------
    guard : DivergenceGuard
    stopping : StoppingRule
    callbacks : list of (str, skorch.callbacks.Callback)
        The two above, named, and the progress bar.
    """
    guard = DivergenceGuard()
    stopping = StoppingRule(
        monitor=monitor or ("valid_loss" if early_stopping else "train_loss"),
        patience=n_iter_no_change,
        threshold=tol,
        threshold_mode="rel",
        floor=floor,
        load_best=early_stopping or monitor is not None,
        sink=print if verbose else noop,
    )
    callbacks = [("divergence", guard), ("stopping", stopping)]
    if verbose >= 2 and on_screen():
        callbacks.append(("progress_bar", ProgressBar()))
    return guard, stopping, callbacks


def check_callbacks(callbacks):
    """Raise a ``TypeError`` or ``ValueError`` for a ``callbacks`` parameter skorch would refuse.

    Run before any training, so that a bad item fails the fit before it
    changes anything.
    """
    for i, item in enumerate(callbacks or []):
        name, callback = item if isinstance(item, tuple) and len(item) == 2 else (None, item)
        if not isinstance(callback, Callback) or not (name is None or isinstance(name, str)):
            raise TypeError(
                "callbacks must hold skorch callbacks (instances of "
                "skorch.callbacks.Callback) or (name, callback) tuples; item "
                f"{i} is {item!r} of type {type(item).__name__}."
            )
        if name in RESERVED_NAMES:
            raise ValueError(
                f"callbacks item {i} is named {name!r}, a name skae uses for its own "
                f"callbacks ({', '.join(sorted(RESERVED_NAMES))}); choose another name."
            )
