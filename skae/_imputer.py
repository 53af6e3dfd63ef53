"""Imputation of missing values with a denoising autoencoder, in scikit-learn's imputer API."""

from functools import partial
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.impute import MissingIndicator
from sklearn.utils import check_random_state

from ._callbacks import held_out_callbacks
from ._denoising import DenoisingAutoencoder
from ._docs import DocLinkMixin
from ._fitting import auto_batch_size
from ._validation import (
    FLOAT_DTYPES,
    Interval,
    MissingValues,
    StrOptions,
    _check_feature_names_in,
    _check_numeric,
    _columns,
    _fit_context,
    as_array_input,
    check_is_fitted,
    check_missing,
    validate_data,
)
from .noise import Corruption

__all__ = ["AutoencoderImputer"]

_NETWORK = (
    "n_components",
    "hidden_layer_sizes",
    "activation",
    "batch_size",
    "max_iter",
    "learning_rate_init",
    "alpha",
    "tol",
    "n_iter_no_change",
    "random_state",
    "verbose",
    "device",
    "n_threads",
    "callbacks",
)
"""The parameters passed on, unchanged, to the denoising autoencoder."""

PLATEAU = 5
"""Epochs without improvement of the held-out loss after which the learning rate drops."""


class _ImputingAutoencoder(DenoisingAutoencoder):
    """The imputer's network: a denoising autoencoder that reads the missing entries' mask.

    Its network sees, beside each row, which entries are observed
    (``missing_indicator=True``); the masking noise hides training entries
    as missing ones (NaN), so that the network learns to predict exactly
    what it will be asked for. With ``held_out`` set to ``(rows, held,
    values)`` before ``fit``, training is judged on entries held out of the
    training rows: the stopping rule watches their loss, restores the best
    epoch's weights, and the learning rate drops on a plateau.
    """

    held_out = None

    def _make_network(self, n_features):
        return partial(super()._make_network(n_features), missing_indicator=True)

    def _make_corruption(self, X):
        return Corruption("masking", self.noise_level, value=float("nan"))

    def _extra_callbacks(self):
        if self.held_out is None:
            return []
        return held_out_callbacks(*self.held_out, patience=PLATEAU - 1)

    def _stopping_monitor(self):
        return None if self.held_out is None else "held_out_loss"


def hold_out(Z, fraction, random_state):
    """Training rows with ``fraction`` of their observed entries hidden, and what was hidden.

    A row or a column keeps at least one observed entry. Returns
    ``(training_rows, (rows, held, values))`` with the held-out part as
    float32 tensors of the rows that hold a held-out entry.
    """
    rng = check_random_state(random_state)
    observed = ~np.isnan(Z)
    held = observed & (rng.random_sample(Z.shape) < fraction)
    for axis in (1, 0):
        emptied = observed.any(axis=axis) & ~(observed & ~held).any(axis=axis)
        for i in np.flatnonzero(emptied):
            line = held[i] if axis == 1 else held[:, i]
            line[rng.choice(np.flatnonzero(line))] = False
    training = np.where(held, np.nan, Z)
    some = held.any(axis=1)
    tensor = partial(torch.as_tensor, dtype=torch.float32)
    part = (tensor(training[some]), torch.as_tensor(held[some]), tensor(np.nan_to_num(Z[some])))
    return training, part


class AutoencoderImputer(DocLinkMixin, TransformerMixin, BaseEstimator):
    """Fill missing values with what a denoising autoencoder reconstructs for them.

    Each feature is standardised on its observed values; a
    :class:`DenoisingAutoencoder` is trained on the standardised rows with
    their missing entries left out of the loss and, on every training batch,
    a further ``mask_rate`` of the observed entries hidden from the network
    (set to the feature's mean), so that it learns to predict an entry from
    the others, as in MIDA (Gondara and Wang, 2018). :meth:`transform`
    replaces each missing entry by its reconstruction from the row's
    observed entries and leaves the observed ones untouched.

    Read more in the :doc:`user guide </user_guide>` and on the
    :doc:`imputation benchmark page </imputation>`.

    Parameters
    ----------
    missing_values : int, float, str, np.nan or None, default=np.nan
        The placeholder of a missing value; every occurrence in ``X`` is
        imputed. ``pandas.NA`` and the masked entries of a numpy masked
        array count as NaN.
    n_components : int or "auto", default="auto"
        Size of the code. ``"auto"`` uses the number of (non-empty) features:
        the masking noise, not the width, keeps the network from copying its
        input.
    hidden_layer_sizes : int or array-like of int, default=(256, 256)
        Widths of the encoder's hidden layers; the decoder mirrors them.
    activation : {"relu", "leaky_relu", "elu", "gelu", "tanh", "sigmoid", \
"identity"}, default="relu"
        Activation of the hidden layers.
    mask_rate : float in [0, 1), default=0.4
        Share of the observed entries hidden from the network on each
        training batch, as if they were missing; the loss compares the
        reconstruction with every observed entry, hidden or not.
    batch_size : int or "auto", default="auto"
        Rows per training batch; ``"auto"`` uses a tenth of the rows,
        between 32 and 200 (all of them for fewer than 32).
    max_iter, learning_rate_init, alpha
        As in :class:`Autoencoder`; defaults 300, 3e-3 and 1e-4.
    early_stopping : bool, default=True
        Hold out ``validation_fraction`` of the observed entries (never of
        a row's or a column's last one), train on the others, and stop when
        the error of their imputation has not improved by ``tol`` for
        ``n_iter_no_change`` epochs, with the weights of the best epoch;
        the learning rate is multiplied by 0.3 after 5 epochs without
        improvement. If False, train on every observed entry and stop on
        the training loss, as :class:`Autoencoder` does.
    validation_fraction : float in (0, 1), default=0.1
        Share of the observed entries held out with ``early_stopping``.
    tol : float, default=1e-4
        Relative improvement of the held-out mean squared error that counts
        (a fall below ``1 - tol`` times its last improvement); of the
        training loss without ``early_stopping``.
    n_iter_no_change : int, default=15
        Epochs without such an improvement before training stops.
    add_indicator : bool, default=False
        Append :class:`~sklearn.impute.MissingIndicator`'s columns (one per
        feature with missing values at fit time) to the output, as
        scikit-learn's imputers do.
    keep_empty_features : bool, default=False
        Whether features with no observed value at fit time are kept in the
        output (imputed with 0, as :class:`~sklearn.impute.SimpleImputer`
        does) or dropped.
    random_state : int, RandomState instance or None, default=None
        Seeds the network's weights, the order of the rows and the masks.
    verbose, device, n_threads, callbacks
        As in :class:`Autoencoder`.

    Attributes
    ----------
    autoencoder_ : DenoisingAutoencoder
        The network trained on the standardised non-empty features (a
        private subclass whose network reads, beside each row, which of
        its entries are observed).
    statistics_ : ndarray of shape (`n_features_in_`,)
        The mean of each feature's observed values (NaN for empty features).
    scale_ : ndarray of shape (`n_features_in_`,)
        The standard deviation of each feature's observed values (1 for
        constant and empty features).
    indicator_ : sklearn.impute.MissingIndicator or None
        The indicator of ``add_indicator``.
    n_iter_ : int
        Epochs the autoencoder trained.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features, when ``X`` has string column names.

    See Also
    --------
    sklearn.impute.SimpleImputer : Fill with a column statistic.
    sklearn.impute.IterativeImputer : Regress each feature on the others, in turns.
    sklearn.impute.KNNImputer : Fill from the nearest complete neighbours.

    Notes
    -----
    A row with no observed value carries nothing to reconstruct from: it is
    not trained on, and :meth:`transform` fills it with ``statistics_``.
    Training costs what a :class:`DenoisingAutoencoder` fit of the same size
    costs; imputing is one pass of the network.

    References
    ----------
    L. Gondara and K. Wang, "MIDA: Multiple Imputation using Denoising
    Autoencoders", PAKDD 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_diabetes
    >>> from skae import AutoencoderImputer
    >>> X = load_diabetes().data
    >>> X_missing = X.copy()
    >>> X_missing[np.random.default_rng(0).random(X.shape) < 0.2] = np.nan
    >>> imputer = AutoencoderImputer(max_iter=50, tol=1e-3, random_state=0)
    >>> X_filled = imputer.fit_transform(X_missing)
    >>> bool(np.isnan(X_filled).any())
    False
    >>> observed = ~np.isnan(X_missing)
    >>> bool((X_filled[observed] == X_missing[observed]).all())
    True
    """

    _parameter_constraints: dict = {
        **{name: DenoisingAutoencoder._parameter_constraints[name] for name in _NETWORK},
        "n_components": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "missing_values": [MissingValues()],
        "mask_rate": [Interval(Real, 0, 1, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "add_indicator": ["boolean"],
        "keep_empty_features": ["boolean"],
    }

    def __init__(
        self,
        *,
        missing_values=np.nan,
        n_components="auto",
        hidden_layer_sizes=(256, 256),
        activation="relu",
        mask_rate=0.4,
        batch_size="auto",
        max_iter=300,
        learning_rate_init=3e-3,
        alpha=1e-4,
        tol=1e-4,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=15,
        add_indicator=False,
        keep_empty_features=False,
        random_state=None,
        verbose=0,
        device="cpu",
        n_threads="auto",
        callbacks=None,
    ):
        self.missing_values = missing_values
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.mask_rate = mask_rate
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.learning_rate_init = learning_rate_init
        self.alpha = alpha
        self.tol = tol
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.add_indicator = add_indicator
        self.keep_empty_features = keep_empty_features
        self.random_state = random_state
        self.verbose = verbose
        self.device = device
        self.n_threads = n_threads
        self.callbacks = callbacks

    def _validated(self, X, reset):
        """``X`` as float rows with NaN at every missing entry (a copy when it had to change)."""
        X = as_array_input(X)
        _check_numeric(X)
        columns = _columns(X)
        X = validate_data(self, X, reset=reset, dtype=list(FLOAT_DTYPES), ensure_all_finite=False)
        placeholder = self.missing_values
        is_nan = isinstance(placeholder, float) and np.isnan(placeholder)
        if placeholder is not None and not is_nan:
            X = np.where(placeholder == X, np.nan, X)
        check_missing(X, "X", columns, empty_rows=True)
        return X

    def _autoencoder(self, n_samples, n_features):
        params = {name: getattr(self, name) for name in _NETWORK}
        if params["n_components"] == "auto":
            params["n_components"] = n_features
        if params["batch_size"] == "auto":
            # the autoencoders' rule, on all the rows rather than the training part
            params["batch_size"] = auto_batch_size(n_samples)
        return _ImputingAutoencoder(
            noise="masking", noise_level=self.mask_rate, loss="mse", outlier_score="reconstruction"
        ).set_params(**params)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the autoencoder on the observed entries of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data with missing values.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted imputer.
        """
        saved = dict(vars(self))
        try:
            X = self._validated(X, reset=True)
            missing = np.isnan(X)
            empty = missing.all(axis=0)
            if empty.all():
                raise ValueError(
                    "X has no observed value at all: every entry is missing, so there is "
                    "nothing to impute from."
                )
            statistics = np.full(X.shape[1], np.nan)
            scale = np.ones(X.shape[1])
            kept = X[:, ~empty]
            statistics[~empty] = np.nanmean(kept, axis=0)
            spread = np.nanstd(kept, axis=0)
            scale[~empty] = np.where(spread > 0, spread, 1.0)
            Z = (kept - statistics[~empty]) / scale[~empty]
            Z = Z[~missing[:, ~empty].all(axis=1)]
            autoencoder = self._autoencoder(*Z.shape)
            if self.early_stopping:
                Z, autoencoder.held_out = hold_out(Z, self.validation_fraction, self.random_state)
            autoencoder.fit(Z)
            autoencoder.held_out = None
            self.autoencoder_ = autoencoder
            self.statistics_, self.scale_ = statistics, scale
            self.n_iter_ = self.autoencoder_.n_iter_
            self.indicator_ = None
            if self.add_indicator:
                self.indicator_ = MissingIndicator(missing_values=np.nan, error_on_new=False)
                self.indicator_.fit(X)
        except BaseException:
            vars(self).clear()
            vars(self).update(saved)
            raise
        return self

    def transform(self, X):
        """Fill the missing entries of ``X``; the observed ones are returned as they are.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        X_imputed : ndarray of shape (n_samples, n_features_out)
            ``X`` with its missing entries filled, without the features that
            were empty at fit time unless ``keep_empty_features``, followed
            by the indicator's columns with ``add_indicator``. float32 input
            stays float32.
        """
        check_is_fitted(self)
        X = self._validated(X, reset=False)
        empty = np.isnan(self.statistics_)
        out = np.array(X, copy=True)
        kept = out[:, ~empty]
        missing = np.isnan(kept)
        some = missing.any(axis=1) & ~missing.all(axis=1)
        if some.any():
            mean, scale = self.statistics_[~empty], self.scale_[~empty]
            Z = (kept[some] - mean) / scale
            # an array whatever the output configuration (set_output, set_config)
            filled = np.asarray(self.autoencoder_.reconstruct(Z)) * scale + mean
            rows = kept[some]
            rows[missing[some]] = filled[missing[some]]
            kept[some] = rows
        nothing = missing.all(axis=1)
        if nothing.any():
            kept[nothing] = self.statistics_[~empty]
        out[:, ~empty] = kept
        if self.keep_empty_features:
            out[:, empty] = 0.0
        else:
            out = out[:, ~empty]
        if self.indicator_ is not None:
            out = np.hstack([out, self.indicator_.transform(X).astype(out.dtype)])
        return out

    def get_feature_names_out(self, input_features=None):
        """Names of the output features: the kept input features, then the indicator's.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            As in scikit-learn's transformers.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        names = _check_feature_names_in(self, input_features)
        if not self.keep_empty_features:
            names = names[~np.isnan(self.statistics_)]
        if self.indicator_ is None:
            return names
        indicated = self.indicator_.get_feature_names_out(
            _check_feature_names_in(self, input_features)
        )
        return np.concatenate([names, indicated])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
