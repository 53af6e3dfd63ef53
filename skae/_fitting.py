"""The fit template of every skae autoencoder: a fit is a transaction.

:meth:`FittingMixin._fit` checks the parameters and the data before it
changes anything, trains a new net (or a copy of the fitted one, to continue)
off to the side, calibrates the outlier score from one pass over the training
rows, and commits the net, its history, ``offset_`` and the statistics only
when all of that succeeded. A fit that raises, KeyboardInterrupt before the
first complete epoch included, leaves the estimator exactly as it was; Ctrl-C
after complete epochs keeps the weights reached, with a warning.
"""

import contextlib
import copy
import inspect
import math
import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning

from . import _inference
from ._batches import FitData
from ._training import TrainingConfig, draw_seeds, new_net, resolve_device, train
from .networks import build_network

__all__ = ["FittingMixin", "auto_batch_size"]


@contextlib.contextmanager
def unchanged_on_error(estimator):
    """Put back the estimator's attributes if the block raises (KeyboardInterrupt too).

    A fit never changes an attribute's object in place (a continued fit
    trains a copy of the net), so restoring the attributes restores the
    estimator exactly.
    """
    saved = dict(vars(estimator))
    try:
        yield
    except BaseException:
        vars(estimator).clear()
        vars(estimator).update(saved)
        raise


def _has_missing(X):
    """Whether the validated rows ``X`` hold NaN (missing entries)."""
    with np.errstate(invalid="ignore", over="ignore"):
        if np.isfinite(X.sum()):
            return False
    return bool(np.isnan(X).any())  # else a sum of finite values that overflowed


def _float32_rows(X):
    """The validated rows as one float32 tensor, converted once (shared with numpy if they are)."""
    return torch.from_numpy(np.require(X, dtype=np.float32, requirements=["C", "W"]))


def auto_batch_size(n_rows):
    """``batch_size="auto"``: a tenth of the training rows, within 32 and 200.

    ``min(200, n_rows)`` (scikit-learn's MLP rule) gives a table of a few
    hundred rows two or three optimizer steps an epoch, too few to converge
    in 200 epochs; a tenth of the rows gives it ten. From 2,000 rows on it is
    MLP's 200, and never more rows than there are.
    """
    return min(200, n_rows, max(32, n_rows // 10))


class FittingMixin:
    """The fit transaction, :meth:`_fit`, over the hooks of the base class.

    The estimators' ``fit`` and ``partial_fit`` call it: an autoencoder's
    with its rows alone, a paired model's with its targets ``y``.
    """

    def _fit(self, X, partial, threshold=True, y=None):
        continuing = hasattr(self, "net_") and (partial or self.warm_start)
        holdout = self.early_stopping and not partial
        with unchanged_on_error(self):
            self._check_params()
            X, sample_shape = self._validated_rows(X, reset=not continuing)
            targets = self._validated_targets(y, X, reset=not continuing)
            has_missing = _has_missing(X)
            low, high = self._check_range(X, holdout, has_missing)
            target_missing = has_missing
            if targets is not None:
                target_missing = _has_missing(targets)
                low, high = self._check_range(targets, holdout, target_missing, "y")
            if not continuing:
                self._resolve_settings(X, sample_shape, low >= 0 and high <= 1)
                self.fill_values_ = (np.nanmean if has_missing else np.mean)(X, axis=0)
                self._seeds = draw_seeds(self.random_state)
            self._check_loss_range(low, high, "X" if targets is None else "y")
            if target_missing:
                self._check_criterion_takes_missing("X" if targets is None else "y")
            rows = _float32_rows(X)
            data = self._fit_data(
                rows, holdout, None if targets is None else _float32_rows(targets)
            )
            net = self._copy_net() if continuing else self._build_net()
            history_start = len(net.history)
            config = self._training_config(partial, data, has_missing, target_missing)
            outcome = train(net, data, config)
            if outcome.interrupted and outcome.epochs_completed == 0:
                raise KeyboardInterrupt
            if outcome.diverged and not continuing and outcome.epochs_confirmed == 0:
                self._raise_diverged()
            calibration = None
            if threshold:
                calibration = self._calibrate(net, rows, X.dtype)
                if calibration is None and not outcome.diverged:
                    # the last step gave finite losses but weights that overflow: go back
                    confirmed = outcome.fall_back(net)
                    outcome = outcome._replace(diverged=True, epochs_confirmed=confirmed)
                    if not continuing and outcome.epochs_confirmed == 0:
                        self._raise_diverged()
                    calibration = self._calibrate(net, rows, X.dtype)
                if calibration is None:
                    _inference.overflow_error(X, net.module_)
            if outcome.diverged:
                # the epochs whose weights were put back leave no trace in the history
                rows = list(net.history)[: history_start + outcome.epochs_confirmed]
                net.history = type(net.history)(rows)
            # a warning raised as an error fails the fit before it commits
            self._warn_training_end(outcome, holdout, partial)
            self._commit(net, calibration, history_start)
        return self

    def _validated_targets(self, y, X, reset):
        """The training targets as validated 2-D rows, or None when the rows are their own.

        An autoencoder ignores ``y``; a paired model checks it against the
        validated rows ``X`` (a hook for variants).
        """
        return None

    def _check_criterion_takes_missing(self, name="X"):
        """A ``ValueError`` if the variant's criterion can not leave missing entries out."""
        criterion = self._make_criterion()
        if "observed" not in inspect.signature(criterion.forward).parameters:
            raise ValueError(
                f"{name} has missing values (NaN), but the criterion of {type(self).__name__}, "
                f"{type(criterion).__name__}, takes no 'observed' mask to leave them out "
                "of its loss: give its forward an observed=None parameter (see "
                f"skae.losses), or impute {name} first."
            )
        return True

    def _check_range(self, X, holdout, has_missing=False, name="X"):
        low, high = (np.nanmin(X), np.nanmax(X)) if has_missing else (X.min(), X.max())
        if max(-low, high) > np.finfo(np.float32).max:
            raise ValueError(
                f"{name} has values up to {max(-low, high):.3g} in magnitude, beyond float32 "
                f"(which ends at {np.finfo(np.float32).max:.3g}), in which skae trains. "
                f"Scale {name} (for example with StandardScaler)."
            )
        if holdout and len(X) < 2:
            raise ValueError(
                "early_stopping=True holds out validation_fraction="
                f"{self.validation_fraction} of the samples, which needs at least 2 "
                f"samples; got {len(X)} sample."
            )
        return low, high

    def _check_loss_range(self, low, high, name="X"):
        if self.loss_ == "bce" and (low < 0 or high > 1):
            chosen = (
                "loss='bce'"
                if self.loss == "bce"
                else "loss='auto' chose 'bce' from the first training data, so it"
            )
            raise ValueError(
                f"{chosen} needs {name} in [0, 1], but {name} ranges over [{low}, "
                f"{high}]. Scale {name} first (for example with MinMaxScaler) or use "
                "loss='mse'."
            )

    def _fit_data(self, rows, holdout, targets=None):
        """The training rows (and targets), with a validation part held out for early stopping."""
        if not holdout:
            return FitData(rows, train_targets=targets)
        n_valid = min(len(rows) - 1, max(1, math.ceil(self.validation_fraction * len(rows))))
        generator = torch.Generator().manual_seed(self._seeds["split"])
        order = torch.randperm(len(rows), generator=generator)
        train, valid = order[n_valid:], order[:n_valid]
        if targets is None:
            return FitData(rows[train], rows[valid])
        return FitData(rows[train], rows[valid], targets[train], targets[valid])

    def _build_net(self):
        """A fresh net for the fitted settings, initialised from the fit's seeds."""
        device = resolve_device(self.device)
        module = build_network(
            self._make_network(self.n_features_in_),
            torch.Generator().manual_seed(self._seeds["init"]),
            device,
        )
        net = new_net(
            module,
            self._make_criterion(),
            device=device,
            shuffle_seed=self._seeds["shuffle"],
            noise_seed=self._seeds["noise"],
            valid_batch_size=_inference.inference_batch_size(module, self.n_features_in_),
            learning_rate=self.learning_rate_init,
        )
        self._link_net(net)
        return net

    def _copy_net(self):
        """A copy of the fitted net to continue training, leaving ``net_`` as it is."""
        return copy.deepcopy(self.net_)

    def _stopping_monitor(self):
        """A history key the stopping rule watches instead of the training or validation loss.

        None by default; a variant whose extra callbacks record a loss of
        their own on each epoch names it here, and the rule then stops on it
        and restores the weights of its best epoch.
        """
        return None

    def _training_config(self, partial, data, has_missing=False, target_missing=None):
        train_rows = data.train
        batch_size = (
            auto_batch_size(len(train_rows)) if self.batch_size == "auto" else self.batch_size
        )
        targets = train_rows if data.train_targets is None else data.train_targets
        return TrainingConfig(
            epochs=1 if partial else self.max_iter,
            batch_size=batch_size,
            learning_rate=self.learning_rate_init,
            alpha=self.alpha,
            early_stopping=self.early_stopping and not partial,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            verbose=self.verbose,
            callbacks=self.callbacks,
            extra_callbacks=self._extra_callbacks(),
            monitor=self._stopping_monitor(),
            n_threads=self.n_threads,
            corruption=self._make_corruption(train_rows),
            fill=self._fill(resolve_device(self.device)) if has_missing else None,
            masked_loss=has_missing if target_missing is None else target_missing,
            loss_floor=self._loss_floor(targets),
        )

    def _loss_floor(self, targets):
        """The lowest training loss a network could reach on ``targets`` (a tensor).

        The relative stopping rule (``tol``) measures the part of the loss
        above it. 0 for squared errors; for ``loss="bce"``, the mean binary
        entropy of the observed targets, which no prediction goes below.
        """
        if self.loss_ != "bce":
            return 0.0
        total, count = 0.0, 0
        for block in torch.split(targets, 4096):  # bounded memory on large data
            p = block.clamp(0, 1)
            entropy = torch.special.entr(p) + torch.special.entr(1 - p)
            observed = ~torch.isnan(block)
            total += float(entropy[observed].sum(dtype=torch.float64))
            count += int(observed.sum())
        return total / count if count else 0.0

    def _calibrate(self, net, rows, dtype):
        """What the fit learns from one pass of the trained ``net`` over the training rows.

        A variant's calibration (an outlier threshold, say), or None when the
        network's outputs are not finite; whatever else it returns is given
        to :meth:`_set_calibration` when the fit commits.
        """
        raise NotImplementedError

    def _set_calibration(self, calibration):
        """Keep what :meth:`_calibrate` returned (a hook: nothing by default)."""

    def _commit(self, net, calibration, history_start=None):
        """Make the trained net (and its threshold and statistics) the estimator's.

        ``history_start`` is the length of the net's history before this
        call's training (None: no training): its epochs are added to
        ``n_iter_`` and ``loss_curve_``, which a continued fit extends.
        """
        self.net_ = net
        if history_start is not None:
            new = [row["train_loss"] for row in net.history[history_start:] if "train_loss" in row]
            # an interrupted epoch has no row-level losses; it is not counted
            # history_start > 0: a continued fit, whose estimator is fitted
            before = self.loss_curve_ if history_start else []
            self.n_iter_ = (self.n_iter_ if history_start else 0) + len(new)
            self.loss_curve_ = [*before, *new]
            valid = [-row["valid_loss"] for row in net.history if "valid_loss" in row]
            self.validation_scores_ = valid or None
            self.best_validation_score_ = max(valid) if valid else None
        if calibration is not None:
            self._set_calibration(calibration)

    def _divergence_advice(self):
        """What to change after a divergence (a hook: a variant names its own causes)."""
        return "Lower learning_rate_init, or scale X (for example with StandardScaler)."

    def _raise_diverged(self):
        raise ValueError(
            f"{type(self).__name__} diverged: the training loss became NaN or infinite, "
            "or exploded (above a million times the loss training started from), in the "
            f"first epoch, with learning_rate_init={self.learning_rate_init:g}. "
            + self._divergence_advice()
        )

    def _warn_training_end(self, outcome, holdout, partial):
        """Warn when training diverged, was interrupted or did not converge."""
        name = type(self).__name__
        if outcome.diverged:
            message, category = (
                f"{name} diverged: the training loss became NaN or infinite, or exploded "
                "(above a million times the loss training started from), with "
                f"learning_rate_init={self.learning_rate_init:g}. Training stopped and "
                f"the weights after epoch {outcome.epochs_confirmed} of this call, the last "
                "with finite outputs, were restored. " + self._divergence_advice(),
                RuntimeWarning,
            )
        elif outcome.interrupted:
            message, category = (
                f"{name}'s training was interrupted (KeyboardInterrupt, from Ctrl-C or "
                f"a callback) after {outcome.epochs_completed} complete epoch(s) of "
                f"{outcome.epochs}. The estimator is fitted with the weights reached so far.",
                UserWarning,
            )
        elif not partial and not outcome.stopped_early:
            monitor = "validation" if holdout else "training"
            if self._stopping_monitor() is not None:
                monitor = self._stopping_monitor().replace("_", " ").removesuffix(" loss")
            message, category = (
                f"{name} reached max_iter={self.max_iter} epochs while "
                f"its {monitor} loss was still falling by more than tol={self.tol:g} "
                f"(relative) every {self.n_iter_no_change} epochs. Increase max_iter, or "
                "tol to stop sooner.",
                ConvergenceWarning,
            )
        else:
            return
        warnings.warn(message, category, stacklevel=5)
