"""The scikit-learn contract shared by every skae autoencoder.

:class:`BaseAutoencoder` adds to :class:`skae._estimator.BaseEncoderDecoder`
what an autoencoder is: a model of its own input, trained by ``fit(X)``,
that reconstructs (:meth:`~BaseAutoencoder.inverse_transform`) and detects
outliers (:meth:`~BaseAutoencoder.score_samples`,
:meth:`~BaseAutoencoder.predict`). A variant supplies its network
(:meth:`_make_network`) and, if it needs them, its criterion
(:meth:`_make_criterion`), its training-time corruption
(:meth:`_make_corruption`) and its per-sample score (:meth:`_score_batch`);
the mixins of :mod:`skae._mixins` fill these hooks for the shared cases.
"""

from functools import partial
from numbers import Real

import numpy as np
import torch
from sklearn.base import OutlierMixin
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state, metadata_routing

from . import _inference, _outlier
from ._estimator import BaseEncoderDecoder
from ._explain import feature_contributions
from ._fitting import _float32_rows
from ._validation import (
    FLOAT_DTYPES,
    Interval,
    StrOptions,
    _check_numeric,
    _fit_context,
    _is_dataframe,
    _is_polars,
    as_array_input,
    check_array,
    check_finite,
    check_is_fitted,
)

__all__ = ["BaseAutoencoder"]


class BaseAutoencoder(OutlierMixin, BaseEncoderDecoder):
    """Base class for skae autoencoders. Not meant to be used directly.

    A subclass lists every parameter in its ``__init__`` (which stores
    them, see :meth:`_store_params`), merges its constraints into
    ``_parameter_constraints`` and implements :meth:`_make_network`. See
    the "Extending skae" page of the documentation.
    """

    _parameter_constraints: dict = {
        **BaseEncoderDecoder._parameter_constraints,
        "contamination": [StrOptions({"auto"}), Interval(Real, 0, 0.5, closed="right")],
    }

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

    def _resolve_settings(self, X, sample_shape, in_unit_range):
        super()._resolve_settings(X, sample_shape, in_unit_range)
        self.outlier_score_ = self._outlier_score_kind()

    def _score_batch(self, module, X, fill=None):
        """Per-sample scores of a batch, higher for more normal samples.

        ``X`` may hold NaN at missing entries; ``fill`` is then the tensor of
        ``fill_values_`` (see :func:`skae._inference.fill_missing`).
        """
        return -_inference.mean_squared_errors(module, X, fill)

    def _outlier_score_kind(self):
        """``"reconstruction"`` (:meth:`_score_batch`) or ``"hybrid"``."""
        return "reconstruction"

    def _score_samples(self, X, check_finite_rows=False, hybrid=None):
        if hybrid is None:
            hybrid = self.outlier_score_ == "hybrid"
        if hybrid:
            _outlier.check_stats(self.outlier_stats_, type(self).__name__)
            stats = _outlier.torch_stats(self.outlier_stats_, self.net_.device)
            fn = partial(_outlier.hybrid_scores, stats=stats)
            return self._map(X, fn, (), check_finite_rows)
        return self._map(X, self._score_batch, (), check_finite_rows)

    def inverse_transform(self, X):
        """Decode codes back to the input space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, for example from :meth:`transform`.

        Returns
        -------
        X_reconstructed : ndarray or DataFrame of shape (n_samples, n_features_in)
            A DataFrame with the columns ``feature_names_in_`` (``x0``,
            ``x1``, ... without them) when ``set_output`` asks for one or
            when ``X`` is a pandas DataFrame (then with its index); images
            for a model fitted on images.
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
        return self._from_rows(decoded, self._fitted_layout(), X, names_from_X=False)

    def reconstruct(self, X):
        """Encode and decode ``X`` in one pass: ``inverse_transform(transform(X))``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        X_reconstructed : ndarray or DataFrame of shape (n_samples, n_features)
            Same float dtype as ``X``; images for image input. A DataFrame
            with ``X``'s columns and index when ``X`` is one, or with
            ``set_output(transform="pandas")`` (``"polars"`` likewise), as
            :meth:`transform` follows it.
        """
        Xv, sample_shape = self._check_inference_input(X)
        reconstructed = self._map(Xv, _inference.reconstruct, Xv.shape[1:], check_finite_rows=True)
        return self._from_rows(reconstructed, sample_shape, X)

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
            The per-sample errors are a Series sharing ``X``'s index when
            ``X`` is a pandas DataFrame (a polars Series for a polars one).
            The per-feature errors come in the container of
            :meth:`reconstruct`: a DataFrame with ``X``'s columns and index
            when ``X`` is one, or with ``set_output(transform="pandas")``.
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
            return self._from_rows(errors, sample_shape, X)
        if _is_polars(X):
            import polars as pl

            return pl.Series("reconstruction_error", errors)
        if not _is_dataframe(X):
            return errors
        import pandas as pd

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
        return self._from_rows(contributions, sample_shape, X)

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

    def _set_calibration(self, calibration):
        self.offset_, stats = calibration
        if stats is None:
            vars(self).pop("outlier_stats_", None)
        else:
            self.outlier_stats_ = stats

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
