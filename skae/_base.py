"""The scikit-learn contract shared by every skae autoencoder.

:class:`BaseAutoencoder` holds the training parameters and their
constraints, the fit template, the transformer methods and the outlier
detector methods. A variant supplies its network (:meth:`_make_network`)
and, if it needs them, its criterion (:meth:`_make_criterion`), its
training-time corruption (:meth:`_make_corruption`) and its per-sample score
(:meth:`_score_batch`); the mixins of :mod:`skae._mixins` fill these hooks
for the shared cases.

The fit itself, a transaction, is :class:`skae._fitting.FittingMixin`'s.
"""

import math
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
from sklearn.exceptions import NotFittedError

from . import _inference, _outlier
from ._callbacks import check_callbacks
from ._explain import feature_contributions
from ._fitting import FittingMixin
from ._persistence import PersistenceMixin
from ._threads import torch_threads
from ._training import resolve_device
from ._validation import (
    FLOAT_DTYPES,
    Interval,
    InvalidParameterError,
    StrOptions,
    _check_numeric,
    _is_dataframe,
    _is_polars,
    as_array_input,
    check_array,
    check_finite,
    check_is_fitted,
    check_missing,
    check_X,
    output_container,
)
from .losses import ReconstructionLoss

__all__ = ["BaseAutoencoder"]


class BaseAutoencoder(
    FittingMixin,
    PersistenceMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    OutlierMixin,
    BaseEstimator,
    metaclass=ABCMeta,
):
    """Base class for skae autoencoders. Not meant to be used directly.

    A subclass lists every parameter in its ``__init__`` (which stores
    them, see :meth:`_store_params`), merges its constraints into
    ``_parameter_constraints`` and implements :meth:`_make_network`. See
    the "Extending skae" page of the documentation.
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
        "device": [str],
        "callbacks": [list, None],
        "n_threads": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
    }

    @abstractmethod
    def __init__(self):
        """A subclass's ``__init__`` lists its parameters and stores them."""

    def _store_params(self, arguments):
        """Store the arguments of ``__init__`` (its ``locals()``) as attributes of the same name."""
        for name, value in arguments.items():
            if name not in ("self", "__class__"):
                setattr(self, name, value)

    # ------------------------------------------------------------------
    # What a variant provides

    @abstractmethod
    def _make_network(self, n_features):
        """Return a callable that builds the variant's ``torch.nn.Module``.

        The callable is invoked under PyTorch's ``meta`` device (see
        :func:`skae.networks.build_network`). The module must offer
        ``encode(X)``, ``decode(code)`` and a ``forward(X)`` returning
        ``(output, code, ...)``, ``output`` being the decoder's
        pre-activation (see :mod:`skae.networks`). It may read the fitted
        settings (``n_components_``, ``loss_`` and what
        :meth:`_resolve_settings` adds) and nothing else, since it also
        runs when a saved estimator is loaded.
        """

    def _make_criterion(self):
        """Return the training criterion, called as ``criterion(output, X, module=module)``."""
        return ReconstructionLoss(self.loss_)

    def _make_corruption(self, X):
        """Return the corruption applied to training batches, or None.

        ``X`` is the training data as one float32 tensor. See
        :class:`skae.noise.Corruption`.
        """
        return None

    def _extra_callbacks(self):
        """``(name, callback)`` pairs a variant trains with, before skae's others."""
        return []

    def _score_batch(self, module, X, fill=None):
        """Per-sample scores of a batch, higher for more normal samples.

        ``X`` may hold NaN at missing entries; ``fill`` is then the tensor of
        ``fill_values_`` (see :func:`skae._inference.fill_missing`).
        """
        return -_inference.mean_squared_errors(module, X, fill)

    def _outlier_score_kind(self):
        """``"reconstruction"`` (:meth:`_score_batch`) or ``"hybrid"``."""
        return "reconstruction"

    def _check_params(self):
        """Checks of the parameters beyond their constraints, before any state changes."""
        for name, constraints in self._parameter_constraints.items():
            value = getattr(self, name)
            if isinstance(value, bool) and not {"boolean", "verbose"} & set(
                c for c in constraints if isinstance(c, str)
            ):
                raise InvalidParameterError(
                    f"The {name!r} parameter of {type(self).__name__} must be a number "
                    f"or a string as documented, not a bool; got {value!r}."
                )
        check_callbacks(self.callbacks)
        resolve_device(self.device)

    def _resolve_settings(self, X, sample_shape, in_unit_range):
        """Set the data-dependent settings of a fresh fit from the training rows ``X``."""
        n_features = X.shape[1]
        if self.n_components == "auto":
            self.n_components_ = max(1, round(math.sqrt(n_features)))
        else:
            self.n_components_ = self.n_components
        self.loss_ = ("bce" if in_unit_range else "mse") if self.loss == "auto" else self.loss
        self.outlier_score_ = self._outlier_score_kind()

    def _link_net(self, net):
        """Connect a new net to the variant's other parts (a hook for variants)."""

    def _to_rows(self, X, reset):
        """``X`` as 2-D rows, and the shape of one sample if it had another layout (else None)."""
        return X, None

    def _fitted_layout(self):
        """The shape of one sample as :meth:`fit` was given it, or None for rows."""
        return None

    @property
    def _output_activation(self):
        return "sigmoid" if self.loss_ == "bce" else "identity"

    # ------------------------------------------------------------------
    # Inference

    def _check_inference_input(self, X):
        """Validate ``X`` for inference; NaN and infinity are caught by :meth:`_map`.

        Returns the rows and the layout of one sample (see :meth:`_to_rows`).
        """
        check_is_fitted(self)
        return self._validated_rows(X, reset=False, ensure_finite=False)

    def _validated_rows(self, X, reset, ensure_finite=True):
        """``X`` as validated 2-D rows, and the layout of one sample (see :meth:`_to_rows`)."""
        X, sample_shape = self._to_rows(as_array_input(X), reset=reset)
        return check_X(self, X, reset=reset, ensure_finite=ensure_finite), sample_shape

    def _fill(self, device):
        """``fill_values_`` as a float32 tensor on ``device`` (None: fitted by an earlier skae)."""
        values = getattr(self, "fill_values_", None)
        return (
            None if values is None else torch.as_tensor(values, dtype=torch.float32, device=device)
        )

    def _map(
        self,
        X,
        fn,
        shape,
        check_finite_rows=False,
        columns="features",
        net=None,
        dtype=None,
        missing=True,
    ):
        """Run ``fn(module, Xb)`` over batches of ``X`` into a new array (see ``map_batches``).

        With ``missing`` (rows of the input space), ``X`` may hold NaN at
        missing entries and ``fn`` is called as ``fn(module, Xb,
        fill=fill)``, ``fill`` being :meth:`_fill`'s tensor. With
        ``check_finite_rows``, each batch is checked for infinity (and for
        rows with nothing observed; for any NaN without ``missing``) while it
        is in the cache, which costs less than a separate pass over a large
        ``X``.
        """
        net = self.net_ if net is None else net
        out = np.empty((len(X), *shape), dtype=X.dtype if dtype is None else dtype)
        fill = self._fill(net.device) if missing else None
        if fill is not None:
            fn = partial(fn, fill=fill)
        on_nonfinite = on_nonfinite_output = None
        if check_finite_rows:
            if isinstance(columns, str):
                columns = getattr(self, "feature_names_in_", None)

            def on_nonfinite(start, stop):
                if fill is None:
                    check_finite(X, "X", columns)
                check_missing(X[start:stop], "X", columns, first_row=start)

            on_nonfinite_output = partial(_inference.overflow_error, X, module=net.module_)
        rows = -(-min(len(X), net.valid_batch_size) // _inference.PAD_ROWS) * _inference.PAD_ROWS
        sample = torch.zeros((1, self.n_features_in_))
        with torch_threads(net.threads(self.n_threads, rows, sample)):
            return _inference.map_batches(
                net.module_,
                X,
                fn,
                out,
                batch_size=net.valid_batch_size,
                device=net.device,
                on_nonfinite=on_nonfinite,
                on_nonfinite_output=on_nonfinite_output,
            )

    def _score_samples(self, X, check_finite_rows=False, hybrid=None):
        if hybrid is None:
            hybrid = self.outlier_score_ == "hybrid"
        if hybrid:
            _outlier.check_stats(self.outlier_stats_, type(self).__name__)
            stats = _outlier.torch_stats(self.outlier_stats_, self.net_.device)
            fn = partial(_outlier.hybrid_scores, stats=stats)
            return self._map(X, fn, (), check_finite_rows)
        return self._map(X, self._score_batch, (), check_finite_rows)

    def _from_rows(self, Y, sample_shape):
        """Give rows of the input space back the layout ``sample_shape`` (None: rows)."""
        return Y if sample_shape is None else Y.reshape(len(Y), *sample_shape)

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
        return self._map(X, _inference.encode, (self.n_components_,), check_finite_rows=True)

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
        X = as_array_input(X)
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
            _inference.decode,
            (self.n_features_in_,),
            check_finite_rows=True,
            columns=None,
            missing=False,
        )
        return self._from_rows(decoded, self._fitted_layout())

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
        reconstructed = self._map(X, _inference.reconstruct, X.shape[1:], check_finite_rows=True)
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
            A missing entry (NaN in ``X``) has the error NaN, and a sample's
            mean runs over its observed features only.
            When ``X`` is a pandas DataFrame, a Series (or a DataFrame with
            ``X``'s column names) sharing ``X``'s index; when it is a polars
            DataFrame, a polars Series (or DataFrame).
        """
        Xv, sample_shape = self._check_inference_input(X)
        if per_feature:
            fn, shape = _inference.squared_errors, (Xv.shape[1],)
        else:
            fn, shape = _inference.mean_squared_errors, ()
        errors = self._map(Xv, fn, shape, check_finite_rows=True)
        if per_feature:
            # a missing entry has no error
            errors[np.isnan(Xv)] = np.nan
            errors = self._from_rows(errors, sample_shape)
        if _is_polars(X):
            import polars as pl

            if per_feature:
                return pl.DataFrame(errors, schema=list(X.columns), orient="row")
            return pl.Series("reconstruction_error", errors)
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

        With ``outlier_score_="reconstruction"`` (and for the variants
        without an ``outlier_score`` parameter), the negative mean squared
        reconstruction error. With ``outlier_score_="hybrid"``, the
        negative weighted mean of the robustly standardised distances to the
        training data, in the input space and among the codes (see the
        class's Notes): 0 is a typical training sample, and each unit is
        about one interquartile range of the training samples' anomaly
        scores.

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
        """Mean per-sample model score of ``X``: label-free model selection.

        The negative mean reconstruction error (for the variational
        autoencoder, the mean ELBO in nats), which is the mean of
        :meth:`score_samples` when ``outlier_score_="reconstruction"``. The
        hybrid score is standardised on each model's own training data, so
        it cannot rank models; ``score`` stays the model's own score, which
        can, in ``GridSearchCV`` for example.

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
        scores = self._score_samples(X, check_finite_rows=True, hybrid=False)
        return float(np.mean(scores, dtype=np.float64))

    def explain(self, X):
        """Each feature's contribution to the anomaly score of each sample.

        The contribution of feature ``j`` to a sample's anomaly score
        (``-score_samples``) is how much that score falls when feature ``j``
        alone takes the value the network reconstructs for it: positive
        where the feature makes the sample more anomalous, about 0 where it
        is as the other features say it should be, negative where it makes
        the sample look more normal. Sort a row's contributions to see which
        features to look at first.

        It costs ``n_features + 1`` scorings of ``X``, in blocks of bounded
        memory.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        contributions : ndarray or DataFrame of shape (n_samples, n_features)
            Images for image input, as :meth:`reconstruction_error` with
            ``per_feature=True``. A DataFrame with ``X``'s columns and index
            when ``X`` is one, or with ``set_output(transform="pandas")``
            (``"polars"`` likewise), as :meth:`transform` follows it.

        Examples
        --------
        >>> from sklearn.datasets import load_breast_cancer
        >>> from sklearn.preprocessing import StandardScaler
        >>> from skae import Autoencoder
        >>> data = load_breast_cancer(as_frame=True)
        >>> X = StandardScaler().set_output(transform="pandas").fit_transform(data.data)
        >>> det = Autoencoder(max_iter=20, random_state=0).fit(X)
        >>> contributions = det.explain(X.iloc[:2])
        >>> contributions.shape
        (2, 30)
        >>> top = contributions.iloc[0].idxmax()  # the feature that most makes row 0 unusual
        """
        Xv, sample_shape = self._check_inference_input(X)
        reconstruction = self._map(Xv, _inference.reconstruct, Xv.shape[1:], check_finite_rows=True)

        def anomaly_score(rows):
            return -self._score_samples(rows, check_finite_rows=True)

        contributions = feature_contributions(anomaly_score, Xv, reconstruction)
        # a missing entry contributes nothing that could be told apart: NaN, as its error
        contributions[np.isnan(Xv)] = np.nan
        if sample_shape is not None:
            return self._from_rows(contributions, sample_shape)
        columns = X.columns if _is_dataframe(X) else getattr(self, "feature_names_in_", None)
        return output_container(self, contributions, X, columns)

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
        check_is_fitted(self)
        if not hasattr(self, "offset_"):
            raise NotFittedError(
                f"This {type(self).__name__} was trained with partial_fit(..., threshold=False) "
                "and has no outlier threshold yet: call fit_threshold(X) with training "
                "samples first."
            )
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
        # NaN marks a missing entry, left out of the loss and the scores
        tags.input_tags.allow_nan = True
        return tags
