"""The scikit-learn contract shared by every skae autoencoder.

:class:`BaseAutoencoder` carries everything a variant has in common: the
training parameters and their constraints, input validation, the skorch
training call, batched inference, the transformer methods and the outlier
detector methods. A variant supplies its network (:meth:`_make_network`) and,
if it needs one, its own criterion (:meth:`_make_criterion`) and per-sample
score (:meth:`_score_batch`).
"""

import copy
import math
import os
import warnings
from abc import ABCMeta, abstractmethod
from functools import partial
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    OutlierMixin,
    TransformerMixin,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from . import _outlier
from ._net import (
    AutoencoderNet,
    FitData,
    broadcast_seeds,
    distributed_world,
    export_net_state,
    make_callbacks,
    map_batches,
    restore_net_state,
    stopped_early,
)
from ._outlier import (
    fit_outlier_stats,
    hybrid_components,
    hybrid_scores,
    set_standardization,
    torch_stats,
)
from ._validation import (
    FLOAT_DTYPES,
    Interval,
    StrOptions,
    _check_numeric,
    _fit_context,
    check_array,
    check_finite,
    check_is_fitted,
    check_X,
)
from .losses import ReconstructionLoss, squared_error
from .networks import build_network

__all__ = ["BaseAutoencoder"]

_INFERENCE_FLOATS = 2**19
"""Floats in the widest activation of one inference batch (2 MiB in float32).

Small enough that a batch's activations stay in the CPU's caches: on 1,000,000 x 100,
batches of about 4,000 rows ran faster than batches of 16,000 or 32,000.
"""


def _is_dataframe(X):
    return hasattr(X, "columns") and hasattr(X, "iloc")


def _reconstruct(module, X):
    return module.decode(module.encode(X))


def _squared_errors(module, X):
    return squared_error(_reconstruct(module, X), X)


def _overflow_error(X):
    """Raise for finite ``X`` whose values overflowed the network's float32 computation."""
    largest = float(np.max(np.abs(X))) if X.size else 0.0
    raise ValueError(
        f"X has values up to {largest:.3g} in magnitude: computed in float32 (which "
        f"ends at {np.finfo(np.float32).max:.3g}), the network overflowed and gave "
        "NaN. Scale X (for example with StandardScaler) before this estimator."
    )


def _encode(module, X):
    return module.encode(X)


def _mean_squared_errors(module, X):
    return _squared_errors(module, X).mean(dim=1)


class BaseAutoencoder(
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    OutlierMixin,
    BaseEstimator,
    metaclass=ABCMeta,
):
    """Base class for skae autoencoders. Not meant to be used directly.

    Subclasses implement :meth:`_make_network` and declare their extra
    parameters in ``__init__`` and ``_parameter_constraints``.
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "loss": [StrOptions({"auto", "mse", "bce"})],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "contamination": [StrOptions({"auto"}), Interval(Real, 0, 0.5, closed="right")],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "device": [StrOptions({"auto", "cpu", "cuda"})],
        "callbacks": [list, None],
    }

    @abstractmethod
    def __init__(
        self,
        n_components="auto",
        *,
        loss="auto",
        batch_size="auto",
        max_iter=200,
        learning_rate_init=1e-3,
        alpha=1e-4,
        tol=1e-4,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        contamination="auto",
        warm_start=False,
        random_state=None,
        verbose=0,
        device="cpu",
        callbacks=None,
    ):
        self.n_components = n_components
        self.loss = loss
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.learning_rate_init = learning_rate_init
        self.alpha = alpha
        self.tol = tol
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.contamination = contamination
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.device = device
        self.callbacks = callbacks

    # ------------------------------------------------------------------
    # What a variant provides

    @abstractmethod
    def _make_network(self, n_features):
        """Return a callable that builds the variant's ``torch.nn.Module``.

        The callable is invoked under PyTorch's ``meta`` device (see
        :func:`skae.networks.build_network`). The module must offer
        ``encode(X)``, ``decode(code)`` and a ``forward(X)`` returning
        ``(output, code, ...)``, ``output`` being the decoder's
        pre-activation (see :mod:`skae.networks`). Fitted attributes
        ``n_components_`` and ``loss_`` are available.
        """

    def _make_corruption(self, X):
        """Return the corruption applied to training batches, or None.

        ``X`` is the training data as one float32 tensor. See
        :class:`skae.noise.Corruption`.
        """
        return None

    def _make_criterion(self):
        """Return the training criterion, called as ``criterion(output, X)``."""
        return ReconstructionLoss(self.loss_)

    def _score_batch(self, module, X):
        """Per-sample scores of a batch, higher for more normal samples."""
        return -_mean_squared_errors(module, X)

    @property
    def _output_activation(self):
        return "sigmoid" if self.loss_ == "bce" else "identity"

    # ------------------------------------------------------------------
    # Training

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the autoencoder on ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data: a numeric array or DataFrame without missing values.
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
    def partial_fit(self, X, y=None):
        """Train for one epoch on ``X``, keeping what was learned before.

        The first call initialises the network from ``X`` (its width, and the
        loss when ``loss="auto"``); later calls continue with the same
        weights and optimizer state. Use it to stream data too large for
        memory, chunk by chunk. Early stopping does not apply, and
        ``offset_`` is recomputed from each chunk.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A chunk of training data.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, partial=True)

    def _fit(self, X, partial, threshold=True):
        """Train on ``X``; with ``threshold=False``, leave ``offset_`` and the
        outlier statistics to a later :meth:`_fit_threshold` (streaming)."""
        first_call = not hasattr(self, "net_") or not (partial or self.warm_start)
        X, sample_shape = self._to_rows(X, reset=first_call)
        X = check_X(self, X, reset=first_call)
        if first_call:
            self._sample_shape = sample_shape
        low, high = X.min(), X.max()
        if max(-low, high) > np.finfo(np.float32).max:
            raise ValueError(
                f"X has values up to {max(-low, high):.3g} in magnitude, beyond float32 "
                f"(which ends at {np.finfo(np.float32).max:.3g}), in which skae trains. "
                "Scale X (for example with StandardScaler)."
            )
        if first_call:
            self._initialize(X, in_unit_range=low >= 0 and high <= 1)
        self._check_loss_range(low, high)

        holdout = self.early_stopping and not partial
        if holdout and len(X) < 2:
            raise ValueError(
                "early_stopping=True holds out validation_fraction="
                f"{self.validation_fraction} of the samples, which needs at least 2 "
                f"samples; got {len(X)} sample."
            )
        data = self._fit_data(X, holdout)
        self._configure_net(len(data.train), early_stopping=holdout)
        self.net_.corruption = self._make_corruption(data.train)

        epochs = 1 if partial else self.max_iter
        self.net_.partial_fit(data, epochs=epochs)

        self._record_history()
        guard = dict(self.net_.callbacks_)["divergence"]
        diverged = guard.diverged_
        if diverged and first_call and guard.epochs_confirmed_ == 0:
            self._diverged_from_the_start()
        if not threshold:
            self._warn_training_end(guard, diverged, epochs, holdout, partial)
            return self
        scores = self._training_scores(X)
        if scores is None and not diverged:
            # the last step gave finite losses but weights that overflow: go back
            guard.restore(self.net_)
            diverged = True
            if first_call and guard.epochs_confirmed_ == 0:
                self._diverged_from_the_start()
            scores = self._training_scores(X)
        if scores is None:
            _overflow_error(X)
        self._warn_training_end(guard, diverged, epochs, holdout, partial)
        self.offset_ = self._offset(scores)
        return self

    def _validated_rows(self, X):
        """Rows of ``X`` checked against the fitted data, as :meth:`partial_fit` sees them."""
        X, _ = self._to_rows(X, reset=False)
        return check_X(self, X, reset=False)

    def _fit_threshold(self, X):
        """Set ``offset_`` (and the hybrid score's statistics) from training rows ``X``."""
        scores = self._training_scores(X)
        if scores is None:
            _overflow_error(X)
        self.offset_ = self._offset(scores)
        return self

    def _training_scores(self, X):
        """Fit the outlier statistics and score the training data; None if not finite.

        The hybrid score's statistics, and the scores that set ``offset_``,
        come from at most ``MAX_STATS_SAMPLES`` training samples, a seeded
        subsample of larger training sets.
        """
        if self._hybrid_score:
            random_state = check_random_state(self._split_seed)
            if len(X) > _outlier.MAX_STATS_SAMPLES:
                rows = random_state.choice(len(X), _outlier.MAX_STATS_SAMPLES, replace=False)
                X = X[np.sort(rows)]
            errors = self._map(X, _squared_errors, (X.shape[1],))
            if not np.isfinite(errors).all():
                return None
            self._fit_outlier_stats(X, errors, random_state)
            del errors
        scores = self._score_samples(X)
        return scores if np.isfinite(scores).all() else None

    def _diverged_from_the_start(self):
        """Raise for a fresh fit that diverged before learning anything, and unfit."""
        for attribute in [a for a in vars(self) if a.endswith("_") and a[0] != "_"]:
            delattr(self, attribute)
        raise ValueError(
            f"{type(self).__name__} diverged: the training loss became NaN or infinite "
            f"in the first epoch, with learning_rate_init={self.learning_rate_init:g}. "
            "Lower learning_rate_init, or scale X (for example with StandardScaler)."
        )

    def _warn_training_end(self, guard, diverged, epochs, holdout, partial):
        """Warn when training diverged, was interrupted or did not converge."""
        name = type(self).__name__
        if diverged:
            warnings.warn(
                f"{name} diverged: the training loss became NaN or infinite, with "
                f"learning_rate_init={self.learning_rate_init:g}. Training stopped and "
                f"the weights after epoch {guard.epochs_confirmed_} of this call, the last "
                "with finite outputs, were restored. Lower learning_rate_init, or scale X.",
                RuntimeWarning,
                stacklevel=4,
            )
        elif guard.epochs_completed_ < epochs and not stopped_early(self.net_):
            warnings.warn(
                f"{name}'s training was interrupted (KeyboardInterrupt, from Ctrl-C or "
                f"a callback) after {guard.epochs_completed_} complete epoch(s) of "
                f"{epochs}. The estimator is fitted with the weights reached so far.",
                UserWarning,
                stacklevel=4,
            )
        elif not partial and not stopped_early(self.net_):
            monitor = "validation" if holdout else "training"
            warnings.warn(
                f"{name} reached max_iter={self.max_iter} epochs while "
                f"its {monitor} loss was still improving by more than tol={self.tol}. "
                "Increase max_iter, or tol to stop sooner.",
                ConvergenceWarning,
                stacklevel=4,
            )

    @property
    def _hybrid_score(self):
        return getattr(self, "outlier_score", "reconstruction") == "hybrid"

    def _fit_outlier_stats(self, X, errors, random_state):
        """Estimate the hybrid score's statistics from the training data and its errors."""
        codes = self._map(X, _encode, (self.n_components_,))
        stats = fit_outlier_stats(errors, codes, random_state)
        device_stats = torch_stats(stats, self.net_.device)
        components = self._map(
            X,
            partial(hybrid_components, stats=device_stats, training=True),
            (len(stats["center"]),),
        )
        self.outlier_stats_ = set_standardization(stats, components)

    def _initialize(self, X, in_unit_range):
        """Resolve the data-dependent settings and build a fresh network.

        Training settings that may change between calls (batch size,
        callbacks, learning rate) are set by :meth:`_configure_net`.
        """
        n_features = X.shape[1]
        if self.n_components == "auto":
            self.n_components_ = max(1, round(math.sqrt(n_features)))
        else:
            self.n_components_ = self.n_components
        if self.loss == "auto":
            self.loss_ = "bce" if in_unit_range else "mse"
        else:
            self.loss_ = self.loss
        device = self._resolve_device()
        rng = check_random_state(self.random_state)
        # in data-parallel training every process takes rank 0's seeds
        init_seed, shuffle_seed, split_seed, noise_seed = broadcast_seeds(
            rng.randint(np.iinfo(np.int32).max, size=4)
        )
        self._split_seed = int(split_seed)

        module = build_network(
            self._make_network(n_features),
            torch.Generator().manual_seed(int(init_seed)),
            device,
        )
        self.net_ = self._new_net(module, device, int(shuffle_seed), int(noise_seed))

    def _new_net(self, module, device, shuffle_seed, noise_seed, valid_batch_size=None):
        """Wrap ``module`` in a freshly initialised skorch net."""
        if valid_batch_size is None:
            valid_batch_size = self._inference_batch_size(module)
        net = AutoencoderNet(
            module,
            criterion=self._make_criterion(),
            optimizer=torch.optim.Adam,
            lr=self.learning_rate_init,
            optimizer__fused=True,
            optimizer__param_groups=[("*.bias", {"penalized": False})],
            train_split=None,
            device=device,
            shuffle_seed=shuffle_seed,
            noise_seed=noise_seed,
            valid_batch_size=valid_batch_size,
        ).initialize()
        self._link_net(net)
        return net

    def _link_net(self, net):
        """Connect a new net to the estimator's other state (a hook for variants)."""

    # ------------------------------------------------------------------
    # Persistence

    def __getstate__(self):
        state = dict(super().__getstate__())
        if isinstance(state.get("net_"), AutoencoderNet):
            state["net_"] = export_net_state(state["net_"])
        return state

    def __setstate__(self, state):
        net_state = state.get("net_")
        if not isinstance(net_state, dict):
            super().__setstate__(state)
            return
        super().__setstate__({key: value for key, value in state.items() if key != "net_"})
        self.net_ = self._rebuild_net(net_state)

    def _rebuild_net(self, state):
        """A fitted net from :func:`~skae._net.export_net_state`'s plain data."""
        device = state["device"]
        if device.startswith("cuda") and not torch.cuda.is_available():
            warnings.warn(
                f"This {type(self).__name__} was saved on {device}, but torch sees no CUDA "
                "GPU here: it is loaded on the CPU. Set device='cpu' before fitting it "
                "further.",
                UserWarning,
                stacklevel=3,
            )
            device = "cpu"
        module = build_network(
            self._make_network(self.n_features_in_), torch.Generator().manual_seed(0), device
        )
        net = self._new_net(
            module,
            device,
            state["shuffle_seed"],
            state["noise_seed"],
            valid_batch_size=state["valid_batch_size"],
        )
        net.callbacks = self._callbacks(False, user=False) + list(state["user_callbacks"])
        net.initialize_callbacks()
        return restore_net_state(net, state)

    def _resolve_device(self):
        device = self.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if device == "cuda" and not torch.cuda.is_available():
            raise ValueError(
                "device='cuda' was requested but torch sees no CUDA GPU; use "
                "device='cpu', or device='auto' to take a GPU only when there is one."
            )
        if device == "cuda" and distributed_world() is not None:
            # one GPU per process: torchrun and accelerate launch set LOCAL_RANK
            device = f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
        return device

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        return self.batch_size

    def _callbacks(self, early_stopping, user=True):
        """skae's callbacks, and with ``user`` a fresh copy of the user's."""
        return make_callbacks(
            early_stopping=early_stopping,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            verbose=self.verbose,
            extra=copy.deepcopy(self.callbacks) if user else None,
        )

    def _configure_net(self, n_train, early_stopping):
        """Set the net's training settings from the current parameters.

        Runs before every training call, so that ``set_params`` between a
        ``fit`` and a warm-started ``fit`` or a ``partial_fit`` takes effect.
        """
        net = self.net_
        net.shard_ = distributed_world()
        net.batch_size = self._batch_size(n_train)
        net.verbose = self.verbose
        net.callbacks = self._callbacks(early_stopping)
        net.initialize_callbacks()
        for group in net.optimizer_.param_groups:
            group["lr"] = self.learning_rate_init
            # scikit-learn's MLP adds alpha * W / batch_size to the gradient
            penalized = group.get("penalized", True)
            group["weight_decay"] = self.alpha / net.batch_size if penalized else 0.0

    def _check_loss_range(self, low, high):
        if self.loss_ != "bce":
            return
        if low < 0 or high > 1:
            chosen = (
                "loss='bce'"
                if self.loss == "bce"
                else "loss='auto' chose 'bce' from the first training data, so it"
            )
            raise ValueError(
                f"{chosen} needs X in [0, 1], but X ranges over [{low:.4g}, "
                f"{high:.4g}]. Scale X first (for example with MinMaxScaler) or use "
                "loss='mse'."
            )

    def _fit_data(self, X, holdout):
        """Convert ``X`` to one float32 tensor, holding out a validation part."""
        X = torch.from_numpy(np.require(X, dtype=np.float32, requirements=["C", "W"]))
        if not holdout:
            return FitData(X)
        n_valid = min(len(X) - 1, max(1, math.ceil(self.validation_fraction * len(X))))
        order = torch.randperm(len(X), generator=torch.Generator().manual_seed(self._split_seed))
        return FitData(X[order[n_valid:]], X[order[:n_valid]])

    def _record_history(self):
        # an interrupted epoch has no row-level losses; it is not counted
        history = [row for row in self.net_.history if "train_loss" in row]
        self.n_iter_ = len(history)
        self.loss_curve_ = [row["train_loss"] for row in history]
        valid = [-row["valid_loss"] for row in history if "valid_loss" in row]
        self.validation_scores_ = valid or None
        self.best_validation_score_ = max(valid) if valid else None

    def _offset(self, scores):
        """Threshold on ``score_samples`` below which a sample is an outlier."""
        if self.contamination == "auto":
            q1, q3 = np.percentile(-scores, [25, 75])
            return -(q3 + 1.5 * (q3 - q1))
        return np.percentile(scores, 100.0 * self.contamination)

    # ------------------------------------------------------------------
    # Inference

    def _inference_batch_size(self, module):
        """Rows per inference batch, so that the widest activation stays small."""
        widths = [self.n_features_in_] + [
            layer.out_features for layer in module.modules() if isinstance(layer, torch.nn.Linear)
        ]
        return int(np.clip(_INFERENCE_FLOATS // max(widths), 256, 65536))

    def _to_rows(self, X, reset):
        """Return ``X`` as 2-D rows, and the shape of one sample if it had another layout.

        The base takes rows only (the shape is None); image variants accept
        images and flatten them here, before validation.
        """
        return X, None

    def _from_rows(self, Y, sample_shape):
        """Give rows of the input space back the layout ``sample_shape`` (None: rows)."""
        return Y if sample_shape is None else Y.reshape(len(Y), *sample_shape)

    def _check_inference_input(self, X):
        """Validate ``X`` for inference; NaN and infinity are caught by :meth:`_map`.

        Returns the rows and the layout of one sample (see :meth:`_to_rows`).
        """
        check_is_fitted(self)
        X, sample_shape = self._to_rows(X, reset=False)
        return check_X(self, X, reset=False, ensure_finite=False), sample_shape

    def _map(self, X, fn, shape, check_finite_rows=False, columns="features"):
        """Run ``fn(module, Xb)`` over batches of ``X`` into a new array.

        With ``check_finite_rows``, each batch is checked for NaN and infinity
        while it is in the cache, which costs less than a separate pass over
        a large ``X``.
        """
        out = np.empty((len(X), *shape), dtype=X.dtype)
        on_nonfinite = on_nan_output = None
        if check_finite_rows:
            if isinstance(columns, str):
                columns = getattr(self, "feature_names_in_", None)
            on_nonfinite = partial(check_finite, X, "X", columns)
            on_nan_output = partial(_overflow_error, X)
        return map_batches(
            self.net_.module_,
            X,
            fn,
            out,
            batch_size=self.net_.valid_batch_size,
            device=self.net_.device,
            on_nonfinite=on_nonfinite,
            on_nan_output=on_nan_output,
        )

    def _score_samples(self, X, check_finite_rows=False, hybrid=None):
        if hybrid is None:
            hybrid = self._hybrid_score
        if hybrid:
            stats = torch_stats(self.outlier_stats_, self.net_.device)
            return self._map(X, partial(hybrid_scores, stats=stats), (), check_finite_rows)
        return self._map(X, self._score_batch, (), check_finite_rows)

    def transform(self, X):
        """Encode ``X`` into codes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        codes : ndarray of shape (n_samples, n_components)
            Same float dtype as ``X`` (float64 for integer input).
        """
        X, _ = self._check_inference_input(X)
        encode = lambda module, Xb: module.encode(Xb)  # noqa: E731
        return self._map(X, encode, (self.n_components_,), check_finite_rows=True)

    def inverse_transform(self, X):
        """Decode codes back to the input space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, for example from :meth:`transform`.

        Returns
        -------
        X_reconstructed : ndarray of shape (n_samples, n_features_in)
        """
        check_is_fitted(self)
        _check_numeric(X)
        Z = check_array(X, dtype=list(FLOAT_DTYPES), ensure_all_finite=False, input_name="X")
        check_finite(Z, "X", None)
        if Z.shape[1] != self.n_components_:
            raise ValueError(
                f"X has {Z.shape[1]} columns, but {type(self).__name__} decodes codes "
                f"of n_components_={self.n_components_} columns."
            )
        decoded = self._map(
            Z,
            lambda module, Zb: module.decode(Zb),
            (self.n_features_in_,),
            check_finite_rows=True,
            columns=None,
        )
        return self._from_rows(decoded, self._sample_shape)

    def reconstruct(self, X):
        """Encode and decode ``X`` in one pass: ``inverse_transform(transform(X))``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        X_reconstructed : ndarray of shape (n_samples, n_features)
            Same float dtype as ``X``.
        """
        X, sample_shape = self._check_inference_input(X)
        reconstructed = self._map(X, _reconstruct, X.shape[1:], check_finite_rows=True)
        return self._from_rows(reconstructed, sample_shape)

    def reconstruction_error(self, X, per_feature=False):
        """Squared reconstruction error of each sample, or of each sample and feature.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        per_feature : bool, default=False
            If True, return the error of every feature of every sample, to
            see which features make a sample hard to reconstruct.

        Returns
        -------
        errors : ndarray, pandas Series or DataFrame
            With ``per_feature=False``, the mean squared error over the
            features of each sample, shape ``(n_samples,)``; with
            ``per_feature=True``, the squared error of each feature, shape
            ``(n_samples, n_features)``, whose row means are the former.
            When ``X`` is a DataFrame, a Series (or a DataFrame with ``X``'s
            column names) sharing ``X``'s index.
        """
        Xv, sample_shape = self._check_inference_input(X)
        if per_feature:
            fn, shape = _squared_errors, (Xv.shape[1],)
        else:
            fn, shape = _mean_squared_errors, ()
        errors = self._map(Xv, fn, shape, check_finite_rows=True)
        if per_feature:
            errors = self._from_rows(errors, sample_shape)
        if not _is_dataframe(X):
            return errors
        import pandas as pd

        if per_feature:
            return pd.DataFrame(errors, columns=X.columns, index=X.index)
        return pd.Series(errors, index=X.index, name="reconstruction_error")

    # ------------------------------------------------------------------
    # Outlier detection

    def score_samples(self, X):
        """How normal each sample is: the opposite of its anomaly score.

        With ``outlier_score="reconstruction"`` (and for the variants
        without that parameter), the negative mean squared reconstruction
        error. With ``outlier_score="hybrid"``, the negative weighted mean
        of the robustly standardised reconstruction error and code
        densities (see the class's Notes): 0 is a typical training sample,
        and each unit is about one interquartile range of the training
        samples' anomaly scores.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Higher means more normal. Deterministic: the same input always
            gets the same score.
        """
        X, _ = self._check_inference_input(X)
        return self._score_samples(X, check_finite_rows=True)

    def score(self, X, y=None):
        """Negative mean reconstruction error: label-free model selection.

        The mean of :meth:`score_samples` when ``outlier_score=
        "reconstruction"``. The hybrid score is standardised on each
        model's own training data, so it cannot rank models; ``score``
        stays the reconstruction error, which can, in ``GridSearchCV``
        for example.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        score : float
            Higher is better.
        """
        X, _ = self._check_inference_input(X)
        return float(np.mean(self._score_samples(X, check_finite_rows=True, hybrid=False)))

    def decision_function(self, X):
        """Shifted scores: negative for outliers, positive for inliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        decision : ndarray of shape (n_samples,)
            ``score_samples(X) - offset_``.
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """Label each sample as an inlier (+1) or an outlier (-1).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        return np.where(self.decision_function(X) < 0, -1, 1)

    # ------------------------------------------------------------------
    # scikit-learn plumbing

    @property
    def _n_features_out(self):
        return self.n_components_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
