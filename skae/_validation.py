"""Input validation; the only module that imports private scikit-learn helpers.

scikit-learn's ``validate_data`` does the heavy lifting (shape, dtype,
feature names, ``n_features_in_``). On top of it, skae names the columns
behind the two most common mistakes, non-numeric columns and missing or
infinite values, so that a user with a 200-column frame knows where to look.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    MissingValues,
    StrOptions,
)
from sklearn.utils._set_output import _get_output_config
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_array,
    check_is_fitted,
    validate_data,
)

__all__ = [
    "FLOAT_DTYPES",
    "Interval",
    "InvalidParameterError",
    "MissingValues",
    "StrOptions",
    "_check_feature_names_in",
    "_fit_context",
    "as_array_input",
    "check_X",
    "check_array",
    "check_finite",
    "check_is_fitted",
    "check_layer_sizes",
    "check_missing",
    "output_container",
]

FLOAT_DTYPES = (np.float64, np.float32)
_SHOW = 5


def _format_columns(columns):
    columns = list(columns)
    shown = ", ".join(repr(c) for c in columns[:_SHOW])
    more = f" and {len(columns) - _SHOW} more" if len(columns) > _SHOW else ""
    return f"[{shown}{more}]"


def _is_dataframe(X):
    return hasattr(X, "columns") and hasattr(X, "dtypes") and hasattr(X, "iloc")


def _is_polars(X):
    return type(X).__module__.startswith("polars") and hasattr(X, "schema")


def _columns(X):
    """The column labels of a pandas or polars frame, else None."""
    return list(X.columns) if _is_dataframe(X) or _is_polars(X) else None


def as_array_input(X):
    """``X`` in a form scikit-learn's validation takes, or a clear error.

    * a torch tensor (on any device) becomes a numpy array on the CPU
      (float16 and bfloat16 as float32);
    * a numpy masked array becomes its data, with NaN (a missing entry)
      where a value is masked;
    * a numpy array of non-native byte order gets the native one, so that
      big-endian float32 stays float32.

    Frames and other inputs are returned as they are.
    """
    if type(X).__module__.startswith("torch") and hasattr(X, "detach"):
        if X.is_complex():
            raise TypeError(
                f"X is a complex tensor (dtype {X.dtype}); skae autoencoders need real numbers."
            )
        import torch

        if X.layout != torch.strided:
            raise TypeError(
                f"X is a sparse torch tensor (layout {X.layout}); skae autoencoders need "
                "dense input: pass X.to_dense()."
            )
        X = X.detach().cpu()
        if X.dtype in (torch.float16, torch.bfloat16):
            X = X.float()
        return X.numpy()
    if isinstance(X, np.ma.MaskedArray):
        mask = np.ma.getmaskarray(X)
        if mask.any():
            if X.dtype.kind not in "biuf":
                raise TypeError(
                    f"X is a masked array of dtype {X.dtype}; skae autoencoders need numbers."
                )
            # masked values are missing entries
            return np.where(mask, np.nan, np.asarray(X.data, dtype=np.result_type(X.dtype, 1.0)))
        X = np.asarray(X.data)
    if isinstance(X, np.ndarray) and not X.dtype.isnative:
        X = X.astype(X.dtype.newbyteorder("="))
    return X


def _non_numeric_error(bad):
    """The TypeError for a frame's ``(column, dtype)`` pairs that are not numbers."""
    names = _format_columns(c for c, _ in bad)
    dtypes = sorted({str(d) for _, d in bad})
    return TypeError(
        f"X has non-numeric column(s) {names} with dtype {', '.join(dtypes)}; "
        "skae autoencoders need numeric features. Encode or drop these columns "
        "first, for example with a OneHotEncoder in a ColumnTransformer."
    )


def _check_polars_numeric(X):
    import polars as pl

    empty = [name for name, dtype in X.schema.items() if dtype == pl.Null]
    if empty:
        raise ValueError(
            f"X has column(s) {_format_columns(empty)} with no value at all (polars dtype "
            "Null): nothing can be learned of them. Drop these columns."
        )
    bad = [
        (name, dtype)
        for name, dtype in X.schema.items()
        if not (dtype.is_numeric() or dtype == pl.Boolean)
    ]
    if bad:
        raise _non_numeric_error(bad)


def _check_numeric(X):
    """Raise a ``TypeError`` naming the columns of ``X`` that are not numbers.

    Frames with duplicate column names are refused with a ``ValueError``
    first, since their columns cannot be named unambiguously.
    """
    if X is None or isinstance(X, (str, bytes, Real)) or getattr(X, "shape", None) == ():
        raise ValueError(
            "X must be an array-like of shape (n_samples, n_features); got "
            f"{type(X).__name__} {X!r:.40}."
        )
    if _is_polars(X):
        _check_polars_numeric(X)
        return
    if _is_dataframe(X):
        duplicated = X.columns[X.columns.duplicated()]
        if len(duplicated):
            raise ValueError(
                f"X has duplicate column names {_format_columns(dict.fromkeys(duplicated))}; "
                "give every column a unique name."
            )
        bad = []
        for column, dtype in zip(X.columns, X.dtypes):
            if dtype.kind in "biuf":
                continue
            if dtype.kind == "O":
                try:
                    X[column].astype(np.float64)
                    continue
                except (TypeError, ValueError):
                    pass
            elif getattr(dtype, "_is_numeric", False) or getattr(dtype, "_is_boolean", False):
                continue
            bad.append((column, dtype))
        if bad:
            raise _non_numeric_error(bad)
        return
    if isinstance(X, (list, tuple)):
        try:
            X = np.asarray(X, dtype=object)
        except ValueError:  # ragged: validation reports the shape
            return
    dtype = getattr(X, "dtype", None)
    if dtype is not None and dtype.kind in "USV":
        raise TypeError(
            f"X contains strings (dtype {dtype}); skae autoencoders need numeric "
            "features. Convert or encode them first."
        )
    if dtype is not None and dtype.kind == "O" and getattr(X, "ndim", 0) == 2:
        try:
            X.astype(np.float64)
        except (TypeError, ValueError):
            pass
        else:
            return
        for j in range(X.shape[1]):
            for value in X[:, j]:
                if isinstance(value, (str, bytes)):
                    try:
                        float(value)
                    except ValueError:
                        raise TypeError(
                            f"X has a non-numeric value {value!r} in column {j}; skae "
                            "autoencoders need numeric features. Encode or drop that "
                            "column first."
                        ) from None


def check_finite(X, input_name, columns):
    """Raise a ``ValueError`` naming the columns of ``X`` with NaN or infinity."""
    with np.errstate(invalid="ignore", over="ignore"):
        if X.size == 0 or np.isfinite(X.sum()):
            return
    if columns is None:
        columns = range(X.shape[1])
    columns = np.asarray(list(columns), dtype=object)
    nan = np.isnan(X)
    if nan.any():
        bad = columns[nan.any(axis=0)]
        raise ValueError(
            f"Input {input_name} contains NaN ({int(nan.sum())} value(s), in column(s) "
            f"{_format_columns(bad)}). skae autoencoders do not accept missing values: "
            "impute them first (for example with sklearn.impute.SimpleImputer in a "
            "Pipeline) or drop the rows that have them."
        )
    inf = ~np.isfinite(X)
    if inf.any():
        bad = columns[inf.any(axis=0)]
        raise ValueError(
            f"Input {input_name} contains infinity ({int(inf.sum())} value(s), in "
            f"column(s) {_format_columns(bad)}). Clip or drop these values first."
        )


def check_missing(X, input_name, columns, *, fit=False, first_row=0, empty_rows=False):
    """Raise a ``ValueError`` for what skae refuses among NaN and infinity in ``X``.

    NaN marks a missing entry and is accepted, except in a row with no
    observed value (nothing to encode or score) and, with ``fit``, in a
    column with no observed value (nothing to learn of it). Infinity is
    refused, naming its columns. ``first_row`` is the index of ``X``'s first
    row in the caller's input (``X`` may be a slice of it). With
    ``empty_rows``, rows with nothing observed are accepted.
    """
    with np.errstate(invalid="ignore", over="ignore"):
        if X.size == 0 or np.isfinite(X.sum()):
            return
    if columns is None:
        columns = range(X.shape[1])
    columns = np.asarray(list(columns), dtype=object)
    inf = np.isinf(X)
    if inf.any():
        bad = columns[inf.any(axis=0)]
        raise ValueError(
            f"Input {input_name} contains infinity ({int(inf.sum())} value(s), in "
            f"column(s) {_format_columns(bad)}). Clip or drop these values first."
        )
    nan = np.isnan(X)
    empty = np.flatnonzero(nan.all(axis=1)) if not empty_rows else []
    if len(empty):
        raise ValueError(
            f"Input {input_name} has {len(empty)} row(s) with no observed value, every "
            f"entry NaN (row(s) {_format_columns((empty + first_row).tolist())}). A "
            "sample with nothing observed can be neither learned from nor scored: drop it."
        )
    if fit:
        empty = columns[nan.all(axis=0)]
        if len(empty):
            raise ValueError(
                f"Input {input_name} has column(s) {_format_columns(empty)} with no observed "
                "value, every entry NaN: nothing can be learned of them. Drop them, or fill "
                "them first."
            )


def check_X(estimator, X, *, reset, ensure_min_samples=1, ensure_finite=True):
    """Validate the input of a public method of a skae estimator.

    Parameters
    ----------
    estimator : BaseAutoencoder
    X : array-like of shape (n_samples, n_features)
    reset : bool
        True in ``fit`` (records ``n_features_in_`` and ``feature_names_in_``),
        False afterwards (checks them).
    ensure_min_samples : int, default=1
    ensure_finite : bool, default=True
        If True, infinity is refused, and NaN (a missing entry) where
        :func:`check_missing` refuses it, with ``fit=reset``. If False, they
        are left for the caller to check, as inference does batch by batch
        (see :func:`skae._inference.map_batches`).

    Returns
    -------
    X : ndarray of float32 or float64
        float32 and float64 inputs keep their dtype; other numbers become
        float64.
    """
    _check_numeric(X)
    columns = _columns(X)
    X = validate_data(
        estimator,
        X,
        reset=reset,
        dtype=list(FLOAT_DTYPES),
        ensure_all_finite=False,
        ensure_min_samples=ensure_min_samples,
    )
    if ensure_finite:
        check_missing(X, "X", columns, fit=reset)
    return X


def check_layer_sizes(value, name):
    """Return ``value`` as a tuple of positive ints or raise naming ``name``."""
    if isinstance(value, Integral) and not isinstance(value, bool):
        value = (value,)
    try:
        sizes = tuple(value)
    except TypeError:
        sizes = None
    if sizes is None or not all(
        isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in sizes
    ):
        raise ValueError(
            f"{name} must be a sequence of positive integers (an empty sequence for "
            f"no hidden layer), got {value!r}."
        )
    return tuple(int(s) for s in sizes)


def output_container(estimator, values, X, columns):
    """``values`` (one column per input feature) in the container ``transform`` would use.

    A DataFrame with ``columns`` (``x0``, ``x1``, ... when None) and, for a
    pandas input, its index, when the estimator's ``set_output`` asks for
    pandas or polars, or when ``X`` is a pandas DataFrame; the array
    otherwise.
    """
    container = _get_output_config("transform", estimator)["dense"]
    if container == "default":
        if _is_polars(X):
            container = "polars"
        elif not _is_dataframe(X):
            return values
    if columns is None:
        columns = [f"x{i}" for i in range(values.shape[1])]
    if container == "polars":
        import polars as pl

        return pl.DataFrame(values, schema=[str(c) for c in columns], orient="row")
    import pandas as pd

    index = X.index if hasattr(X, "index") and _is_dataframe(X) else None
    return pd.DataFrame(values, columns=list(columns), index=index)
