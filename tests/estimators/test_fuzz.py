"""Fuzzed bad input: every outcome is a correct result or a ValueError/TypeError naming its cause.

hypothesis draws arrays and frames of any shape, dtype and content (NaN and
infinity anywhere, huge and tiny values, strings, objects, booleans, empty
and one-sample arrays, 1-D and 3-D arrays, frames with duplicate or
non-string column names) and feeds them to every public method of every
variant. A method either returns a result of the right shape with no NaN
(when the input was finite) or raises ``ValueError`` or ``TypeError`` whose
message names the input (``X``) or the column at fault; never another
exception, never a hang (each example has a deadline). Parameters are
fuzzed the same way: a refused parameter is named in the message. Each
test counts its refusals and its successes, and fails unless both paths
were taken.

The examples are fixed (``derandomize``), so CI is repeatable. For a
randomised run with more examples, set ``SKAE_FUZZ_EXAMPLES``::

    SKAE_FUZZ_EXAMPLES=2000 python -m pytest tests/estimators/test_fuzz.py -p no:cacheprovider

hypothesis then draws new examples on every run and prints the seed and the
failing example when one fails.
"""

import os
import re
import warnings
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from _helpers import VARIANTS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from skae import ConvAutoencoder

N_FEATURES = 4
EXAMPLES = int(os.environ.get("SKAE_FUZZ_EXAMPLES", 60))
"""hypothesis examples per test (each test is parametrised over the variants)."""
RANDOMIZED = "SKAE_FUZZ_EXAMPLES" in os.environ

INFERENCE = ["transform", "inverse_transform", "score_samples", "predict", "reconstruction_error"]
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=10_000,  # milliseconds: a hang fails the example
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=not RANDOMIZED,  # the same examples on every run, so CI is repeatable
    database=None,
)

NAMES_THE_INPUT = re.compile(r"\bX\b|column|\barray\b|feature\(s\)|sample\(s\)|2D array")
"""A refusal of bad input names ``X`` or the column at fault, or (scikit-learn's shape checks)
the array and its numbers of samples, features or dimensions."""


def new(cls):
    small = {"hidden_layer_sizes": (16, 8)} if cls is not ConvAutoencoder else {"filters": (4,)}
    return cls(2, max_iter=1, batch_size=4, random_state=0, **small)


@pytest.fixture(scope="module", params=VARIANTS, ids=lambda c: c.__name__)
def fitted(request):
    X = np.random.default_rng(0).normal(size=(20, N_FEATURES))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return new(request.param).fit(X)


# ------------------------------------------------------------- strategies

special = st.sampled_from([np.nan, np.inf, -np.inf, 1e30, -1e30, 3e38, 1e-30, 0.0, -0.0, 1.0])
float64_only = st.sampled_from([1e39, -1e300, 1e-310])
floats = st.one_of(st.floats(-1e3, 1e3, allow_nan=False, width=32), special)


def numeric_arrays(n_features=None):
    """Arrays of any float, int or bool dtype, of 1 to 3 dimensions."""
    width = st.just(n_features) if n_features is not None else st.integers(0, 6)

    def shape(w):
        return st.one_of(
            st.tuples(st.integers(0, 8), st.just(w)),
            st.tuples(st.integers(0, 8)),
            st.tuples(st.integers(0, 4), st.just(w), st.integers(1, 3)),
        )

    float_arrays = width.flatmap(
        lambda w: st.one_of(
            hnp.arrays(np.float32, shape(w), elements=floats),
            hnp.arrays(np.float64, shape(w), elements=st.one_of(floats, float64_only)),
        )
    )
    int_arrays = width.flatmap(
        lambda w: hnp.arrays(
            st.sampled_from([np.int8, np.int64, np.uint8]),
            shape(w),
            elements=st.integers(0, 100),
        )
    )
    bool_arrays = width.flatmap(lambda w: hnp.arrays(np.bool_, shape(w)))
    return st.one_of(float_arrays, int_arrays, bool_arrays)


def odd_values():
    """Object and string arrays, mixed lists, scalars and None."""
    cell = st.one_of(st.floats(allow_nan=True), st.text(max_size=3), st.none(), st.booleans())
    return st.one_of(
        hnp.arrays(object, st.tuples(st.integers(0, 5), st.just(N_FEATURES)), elements=cell),
        hnp.arrays(hnp.unicode_string_dtypes(max_len=3), st.tuples(st.integers(1, 5), st.just(4))),
        st.lists(st.lists(cell, min_size=N_FEATURES, max_size=N_FEATURES), max_size=4),
        st.one_of(st.none(), st.floats(), st.text(max_size=3)),
    )


def frames():
    """DataFrames with mixed dtypes, and duplicate or non-string column names."""
    names = st.one_of(
        st.lists(st.sampled_from(["a", "b", "c"]), min_size=N_FEATURES, max_size=N_FEATURES),
        st.lists(st.integers(0, 3), min_size=N_FEATURES, max_size=N_FEATURES),
        st.lists(
            st.one_of(st.integers(0, 9), st.text(max_size=2)),
            min_size=N_FEATURES,
            max_size=N_FEATURES,
        ),
    )
    column = st.one_of(
        st.lists(floats, min_size=3, max_size=3),
        st.lists(st.integers(-5, 5), min_size=3, max_size=3),
        st.lists(st.booleans(), min_size=3, max_size=3),
        st.lists(st.text(max_size=2), min_size=3, max_size=3),
    )
    return st.tuples(names, st.lists(column, min_size=N_FEATURES, max_size=N_FEATURES)).map(
        lambda nc: pd.DataFrame(dict(enumerate(nc[1]))).set_axis(nc[0], axis=1)
    )


def valid_rows():
    """Finite rows of the fitted width: what every method must answer."""
    shape = st.tuples(st.integers(1, 8), st.just(N_FEATURES))
    values = st.floats(-10, 10, width=32)
    return st.one_of(
        hnp.arrays(np.float64, shape, elements=values),
        hnp.arrays(np.float32, shape, elements=values),
    )


anything = st.one_of(
    valid_rows(), numeric_arrays(), numeric_arrays(N_FEATURES), odd_values(), frames()
)


# ----------------------------------------------------------------- checks


def finite_numeric(X):
    try:
        values = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return values.size > 0 and bool(np.isfinite(values).all())


def call(fn, X, names=NAMES_THE_INPUT):
    """Return the result, or None after a ValueError/TypeError whose message ``names`` its cause."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(X)
    except (ValueError, TypeError) as error:
        message = str(error)
        # numpy's own conversion errors name neither the input nor the column
        assert not message.startswith("could not convert"), message
        assert names.search(message), f"{type(error).__name__} not naming its cause: {message}"
        return None


def check_result(result, X, method, est):
    if result is None:
        return
    result = np.asarray(result)
    n = len(X)
    expected_rows = {
        "transform": (n, est.n_components_),
        "score_samples": (n,),
        "predict": (n,),
        "reconstruction_error": (n,),
    }
    if method in expected_rows:
        assert result.shape == expected_rows[method]
    if method == "predict":
        assert set(np.unique(result)) <= {-1, 1}
    if finite_numeric(X):
        assert not np.isnan(result.astype(np.float64)).any(), f"{method} gave NaN"


# ------------------------------------------------------------------ tests


def test_inference_methods(fitted):
    counts = Counter()

    @FUZZ
    @given(X=anything)
    def run(X):
        for method in INFERENCE:
            # inverse_transform takes codes: inputs of any other width must be refused
            result = call(getattr(fitted, method), X)
            counts["refused" if result is None else "answered"] += 1
            if method != "inverse_transform":
                check_result(result, np.atleast_1d(np.asarray(X, dtype=object)), method, fitted)
            elif result is not None and finite_numeric(X):
                assert not np.isnan(np.asarray(result, dtype=np.float64)).any()

    run()
    assert counts["refused"] and counts["answered"], counts


def test_fit_and_partial_fit(fitted):
    cls = type(fitted)
    counts = Counter()

    @FUZZ
    @given(X=anything)
    def run(X):
        for method in ("fit", "partial_fit"):
            est = new(cls)
            if call(getattr(est, method), X) is None:
                counts["refused"] += 1
                assert not hasattr(est, "net_"), "a refused fit left a network"
                continue
            counts["fitted"] += 1
            # fitted: it must work on the data it was fitted on
            rows = est.transform(X)
            assert np.isfinite(rows).all()
            assert np.isfinite(est.offset_)

    run()
    assert counts["refused"] and counts["fitted"], counts


odd_parameters = st.one_of(
    st.booleans(),
    st.integers(-3, 40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=4),
    st.none(),
    st.sampled_from([[], (), (0,), (3, -1), [2.5], {"a": 1}, object(), "auto", 1e-12, 0.5]),
)


def test_parameters(fitted):
    cls = type(fitted)
    X = np.random.default_rng(0).normal(size=(12, N_FEATURES))
    names = sorted(set(new(cls).get_params()) - {"verbose"})  # verbose only prints
    counts = Counter()

    @FUZZ
    @given(name=st.sampled_from(names), value=odd_parameters)
    def run(name, value):
        est = new(cls).set_params(**{name: value})
        result = call(est.fit, X, names=re.compile(rf"\b{name}\b"))
        if result is None:
            counts["refused"] += 1
            assert not hasattr(est, "net_"), "a refused fit left a network"
            return
        counts["fitted"] += 1
        assert np.isfinite(est.transform(X)).all()
        assert np.isfinite(est.score_samples(X)).all()

    run()
    assert counts["refused"] and counts["fitted"], counts
