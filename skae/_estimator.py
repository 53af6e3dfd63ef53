"""The scikit-learn contract shared by every skae encoder-decoder.

:class:`BaseEncoderDecoder` holds the training parameters and their
constraints, the hooks a variant fills, batched inference and
:meth:`~BaseEncoderDecoder.transform`. Two families build on it: the
autoencoders (:class:`skae.BaseAutoencoder`, which add the outlier detector
and reconstruct their own input) and the paired models
(:class:`skae.EncoderDecoderRegressor`, which learn X -> Y).

The fit itself, a transaction, is :class:`skae._fitting.FittingMixin`'s.
"""

import math
from abc import ABCMeta, abstractmethod
from functools import partial
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin

from . import _inference
from ._callbacks import check_callbacks
from ._docs import DocLinkMixin
from ._fitting import FittingMixin
from ._persistence import PersistenceMixin
from ._threads import torch_threads
from ._training import resolve_device
from ._validation import (
    Interval,
    InvalidParameterError,
    StrOptions,
    _columns,
    as_array_input,
    check_finite,
    check_is_fitted,
    check_missing,
    check_X,
    output_container,
)
from .losses import ReconstructionLoss

__all__ = ["BaseEncoderDecoder"]


class BaseEncoderDecoder(
    DocLinkMixin,
    FittingMixin,
    PersistenceMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    BaseEstimator,
    metaclass=ABCMeta,
):
    """Base class for skae's encoder-decoders. Not meant to be used directly.

    A subclass lists every parameter in its ``__init__`` (which stores
    them, see :meth:`_store_params`), merges its constraints into
    ``_parameter_constraints`` and implements :meth:`_make_network`.
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

    def _from_rows(self, Y, sample_shape, X=None, names_from_X=True):
        """Rows of the input space in the layout and container the user gave.

        Images get back the layout ``sample_shape``. Rows (``sample_shape``
        None) come in the container :meth:`transform` would use (see
        ``set_output``): a DataFrame when it asks for one or when ``X`` is
        one, with ``X``'s columns (if ``names_from_X``) or else
        ``feature_names_in_``, and ``X``'s index; an array otherwise.
        """
        if sample_shape is not None:
            return Y.reshape(len(Y), *sample_shape)
        columns = _columns(X) if names_from_X else None
        if columns is None:
            columns = getattr(self, "feature_names_in_", None)
        return output_container(self, Y, X, columns)

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
