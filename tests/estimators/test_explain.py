"""explain(X): each feature's contribution to the anomaly score."""

import numpy as np
import pandas as pd
import pytest
from _helpers import VARIANTS
from sklearn.exceptions import NotFittedError

from skae import Autoencoder
from skae._explain import feature_contributions


@pytest.fixture(scope="module")
def correlated():
    """Six features driven by two factors, so that each is predictable from the others."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 2)) @ rng.normal(size=(2, 6))
    X += rng.normal(scale=0.1, size=X.shape)
    return (X - X.mean(axis=0)) / X.std(axis=0)


@pytest.fixture(scope="module")
def detector(correlated):
    return Autoencoder(2, max_iter=60, random_state=0).fit(correlated[:400])


def test_contributions_are_the_score_drop_of_putting_each_feature_back(detector, correlated):
    X = correlated[400:420]
    contributions = detector.explain(X)
    reconstruction = detector.reconstruct(X)
    base = -detector.score_samples(X)
    for j in (0, 3, 5):
        restored = X.copy()
        restored[:, j] = reconstruction[:, j]
        expected = base + detector.score_samples(restored)
        np.testing.assert_allclose(
            contributions[:, j], expected, rtol=1e-5, atol=1e-5
        )  # float32 scores, batched differently


def test_the_shifted_feature_contributes_most(detector, correlated):
    X = correlated[400:].copy()
    rng = np.random.default_rng(1)
    shifted = rng.integers(X.shape[1], size=len(X))
    X[np.arange(len(X)), shifted] += 4.0 * rng.choice([-1.0, 1.0], size=len(X))
    hits = (detector.explain(X).argmax(axis=1) == shifted).mean()
    errors = detector.reconstruction_error(X, per_feature=True).argmax(axis=1)
    assert hits > 0.9
    assert hits >= (errors == shifted).mean() - 0.02


def test_a_feature_equal_to_its_reconstruction_contributes_nothing():
    def score(rows):
        return np.square(rows).sum(axis=1)

    X = np.array([[1.0, 2.0, 3.0]])
    contributions = feature_contributions(score, X, np.array([[1.0, 0.0, 0.0]]))
    np.testing.assert_allclose(contributions, [[0.0, 4.0, 9.0]])


def test_blocks_give_the_same_contributions(monkeypatch, detector, correlated):
    import skae._explain

    expected = detector.explain(correlated[:50])
    monkeypatch.setattr(skae._explain, "_BLOCK_FLOATS", 1)  # one row per block
    np.testing.assert_allclose(
        detector.explain(correlated[:50]), expected, rtol=1e-5, atol=1e-5
    )  # float32 scores, batched differently


def test_frames_keep_their_columns_and_index(correlated):
    frame = pd.DataFrame(correlated, columns=[f"f{i}" for i in range(6)])
    frame.index = frame.index + 100
    model = Autoencoder(2, max_iter=3, random_state=0).fit(frame)
    contributions = model.explain(frame.iloc[:5])
    assert isinstance(contributions, pd.DataFrame)
    assert list(contributions.columns) == list(frame.columns)
    assert list(contributions.index) == [100, 101, 102, 103, 104]


def test_explain_follows_set_output(correlated):
    model = Autoencoder(2, max_iter=3, random_state=0).fit(correlated)
    assert isinstance(model.explain(correlated[:3]), np.ndarray)
    model.set_output(transform="pandas")
    contributions = model.explain(correlated[:3])
    assert list(contributions.columns) == [f"x{i}" for i in range(6)]


@pytest.mark.parametrize("cls", VARIANTS, ids=lambda c: c.__name__)
def test_every_variant_explains_deterministically(cls, digits):
    X = digits[0][:60]
    model = cls(2, max_iter=2, random_state=0).fit(X)
    first = model.explain(X[:5])
    assert first.shape == (5, 64)
    np.testing.assert_array_equal(first, model.explain(X[:5]))


def test_explain_checks_its_input(detector, correlated):
    with pytest.raises(NotFittedError):
        Autoencoder().explain(correlated)
    bad = correlated[:3].copy()
    bad[1, 2] = np.inf
    with pytest.raises(ValueError, match=r"contains infinity"):
        detector.explain(bad)
    with pytest.raises(ValueError, match="features"):
        detector.explain(correlated[:3, :4])
