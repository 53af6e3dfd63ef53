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
from functools import partial

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state, metadata_routing

from . import _inference, _outlier
from ._batches import FitData
from ._training import TrainingConfig, draw_seeds, new_net, resolve_device, train
from ._validation import _fit_context, check_is_fitted
from .networks import build_network

__all__ = ["FittingMixin"]


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


class FittingMixin:
    """``fit``, ``partial_fit`` and ``fit_threshold``, over the hooks of the base class."""

    # threshold is an option of the call, not metadata to route (no set_partial_fit_request)
    __metadata_request__partial_fit = {"threshold": metadata_routing.UNUSED}

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the autoencoder on ``X``.

        A fit that raises, or is interrupted with Ctrl-C before it completes
        an epoch, leaves the estimator as it was.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data: a numeric array or DataFrame. Missing entries
            (NaN) are left out of the loss; see the class's Notes.
        y : None
            Ignored; present so that the estimator fits in a Pipeline
            followed by a supervised step.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, partial=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, *, threshold=True):
        """Train for one epoch on ``X``, keeping what was learned before.

        The first call initialises the network from ``X`` (its width, and the
        loss when ``loss="auto"``); later calls continue with the same
        weights and optimizer state. Use it to stream data too large for
        memory, chunk by chunk (:func:`skae.fit_stream` does). Early stopping
        does not apply. A call that raises leaves the estimator as it was.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A chunk of training data.
        y : None
            Ignored.
        threshold : bool, default=True
            Whether to set ``offset_`` and the outlier statistics from this
            chunk. :func:`skae.fit_stream` passes False and sets them once,
            with :meth:`fit_threshold`, from a sample of the whole stream.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, partial=True, threshold=threshold)

    def _fit(self, X, partial, threshold=True):
        continuing = hasattr(self, "net_") and (partial or self.warm_start)
        holdout = self.early_stopping and not partial
        with unchanged_on_error(self):
            self._check_params()
            X, sample_shape = self._validated_rows(X, reset=not continuing)
            has_missing = _has_missing(X)
            low, high = self._check_range(X, holdout, has_missing)
            if not continuing:
                self._resolve_settings(X, sample_shape, low >= 0 and high <= 1)
                self.fill_values_ = (np.nanmean if has_missing else np.mean)(X, axis=0)
                self._seeds = draw_seeds(self.random_state)
            self._check_loss_range(low, high)
            if has_missing:
                self._check_criterion_takes_missing()
            rows = _float32_rows(X)
            data = self._fit_data(rows, holdout)
            net = self._copy_net() if continuing else self._build_net()
            history_start = len(net.history)
            config = self._training_config(partial, data.train, has_missing)
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

    def _check_criterion_takes_missing(self):
        """A ``ValueError`` if the variant's criterion can not leave missing entries out."""
        criterion = self._make_criterion()
        if "observed" not in inspect.signature(criterion.forward).parameters:
            raise ValueError(
                f"X has missing values (NaN), but the criterion of {type(self).__name__}, "
                f"{type(criterion).__name__}, takes no 'observed' mask to leave them out "
                "of its loss: give its forward an observed=None parameter (see "
                "skae.losses), or impute X first."
            )
        return True

    def _check_range(self, X, holdout, has_missing=False):
        low, high = (np.nanmin(X), np.nanmax(X)) if has_missing else (X.min(), X.max())
        if max(-low, high) > np.finfo(np.float32).max:
            raise ValueError(
                f"X has values up to {max(-low, high):.3g} in magnitude, beyond float32 "
                f"(which ends at {np.finfo(np.float32).max:.3g}), in which skae trains. "
                "Scale X (for example with StandardScaler)."
            )
        if holdout and len(X) < 2:
            raise ValueError(
                "early_stopping=True holds out validation_fraction="
                f"{self.validation_fraction} of the samples, which needs at least 2 "
                f"samples; got {len(X)} sample."
            )
        return low, high

    def _check_loss_range(self, low, high):
        if self.loss_ == "bce" and (low < 0 or high > 1):
            chosen = (
                "loss='bce'"
                if self.loss == "bce"
                else "loss='auto' chose 'bce' from the first training data, so it"
            )
            raise ValueError(
                f"{chosen} needs X in [0, 1], but X ranges over [{low}, "
                f"{high}]. Scale X first (for example with MinMaxScaler) or use "
                "loss='mse'."
            )

    def _fit_data(self, rows, holdout):
        """The training rows, with a validation part held out for early stopping."""
        if not holdout:
            return FitData(rows)
        n_valid = min(len(rows) - 1, max(1, math.ceil(self.validation_fraction * len(rows))))
        generator = torch.Generator().manual_seed(self._seeds["split"])
        order = torch.randperm(len(rows), generator=generator)
        return FitData(rows[order[n_valid:]], rows[order[:n_valid]])

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

    def _training_config(self, partial, train_rows, has_missing=False):
        batch_size = min(200, len(train_rows)) if self.batch_size == "auto" else self.batch_size
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
        )

    def _calibrate(self, net, rows, dtype):
        """Outlier statistics and ``offset_`` from one pass over the training rows.

        Returns ``(offset, stats)`` (stats None for the reconstruction
        score), or None when the network's outputs are not finite. The
        hybrid statistics, and the scores that set ``offset_``, come from at
        most ``MAX_STATS_SAMPLES`` training samples, a seeded subsample of
        larger training sets.
        """
        map_net = partial(self._map, net=net)
        if self.outlier_score_ != "hybrid":
            scores = map_net(rows, self._score_batch, (), dtype=dtype)
            if not np.isfinite(scores).all():
                return None
            return _outlier.offset_from_scores(scores, self.contamination), None
        random_state = check_random_state(self._seeds["stats"])
        if len(rows) > _outlier.MAX_STATS_SAMPLES:
            chosen = random_state.choice(len(rows), _outlier.MAX_STATS_SAMPLES, replace=False)
            rows = rows[torch.from_numpy(np.sort(chosen))]
        # the errors are computed only to tell whether the network's outputs are finite
        k = self.n_components_
        both = map_net(
            rows, _outlier.reconstruction_and_codes, (1 + k + rows.shape[1],), dtype=dtype
        )
        if not np.isfinite(both).all():
            return None
        # the references are training rows, their missing entries at their reconstruction
        completed = torch.from_numpy(np.require(both[:, 1 + k :], np.float32, ["C"]))
        stats, scores = _outlier.fit_hybrid(completed, both[:, 1 : 1 + k], random_state, net.device)
        if not np.isfinite(scores).all():
            return None
        return _outlier.offset_from_scores(scores, self.contamination), stats

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
            self.offset_, stats = calibration
            if stats is None:
                vars(self).pop("outlier_stats_", None)
            else:
                self.outlier_stats_ = stats

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
                f"its {monitor} loss was still improving by more than tol={self.tol}. "
                "Increase max_iter, or tol to stop sooner.",
                ConvergenceWarning,
            )
        else:
            return
        warnings.warn(message, category, stacklevel=5)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_threshold(self, X):
        """Set ``offset_`` and the outlier statistics from training rows ``X``, without training.

        :func:`skae.fit_stream` calls it once with a sample of the whole
        stream, after ``partial_fit(chunk, threshold=False)`` on every chunk.
        A call that raises leaves the estimator as it was.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training samples, as :meth:`partial_fit` takes them.

        Returns
        -------
        self : object
            The estimator.
        """
        check_is_fitted(self)
        X, _ = self._validated_rows(X, reset=False)
        calibration = self._calibrate(self.net_, _float32_rows(X), X.dtype)
        if calibration is None:
            _inference.overflow_error(X, self.net_.module_)
        self._commit(self.net_, calibration)
        return self
