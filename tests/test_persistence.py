"""Round trips through pickle, joblib and clone give the same outputs."""

import io
import pickle

import joblib
import numpy as np
import pytest
from sklearn.base import clone

from skae import (
    Autoencoder,
    ConvAutoencoder,
    DenoisingAutoencoder,
    SparseAutoencoder,
    VariationalAutoencoder,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(0).normal(size=(80, 5))


@pytest.fixture(
    scope="module",
    params=[
        Autoencoder,
        SparseAutoencoder,
        DenoisingAutoencoder,
        ConvAutoencoder,
        VariationalAutoencoder,
    ],
    ids=lambda cls: cls.__name__,
)
def fitted(request, X):
    return request.param(2, max_iter=10, contamination=0.1, random_state=0).fit(X)


def _outputs(ae, X):
    codes = ae.transform(X)
    return [
        codes,
        ae.inverse_transform(codes),
        ae.score_samples(X),
        ae.predict(X),
        ae.reconstruction_error(X, per_feature=True),
    ]


def _assert_same_outputs(a, b, X):
    for left, right in zip(_outputs(a, X), _outputs(b, X)):
        np.testing.assert_array_equal(left, right)


def test_pickle_round_trip(fitted, X):
    restored = pickle.loads(pickle.dumps(fitted))
    _assert_same_outputs(fitted, restored, X)
    assert restored.offset_ == fitted.offset_ and restored.loss_curve_ == fitted.loss_curve_


def test_joblib_round_trip(fitted, X):
    buffer = io.BytesIO()
    joblib.dump(fitted, buffer)
    buffer.seek(0)
    _assert_same_outputs(fitted, joblib.load(buffer), X)


def test_clone_and_refit_with_the_same_seed(fitted, X):
    twin = clone(fitted)
    assert not hasattr(twin, "net_")
    _assert_same_outputs(fitted, twin.fit(X), X)


def test_a_restored_model_keeps_training_like_the_original(fitted, X):
    restored = pickle.loads(pickle.dumps(fitted))
    original = pickle.loads(pickle.dumps(fitted))
    original.partial_fit(X)
    restored.partial_fit(X)
    assert restored.n_iter_ == fitted.n_iter_ + 1
    np.testing.assert_array_equal(original.transform(X), restored.transform(X))
