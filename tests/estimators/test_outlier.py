"""The hybrid outlier score: its parts against scikit-learn, and what it catches."""

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import NearestNeighbors

import skae._outlier
from skae import Autoencoder, DenoisingAutoencoder, SparseAutoencoder
from skae._outlier import COMPONENTS, WEIGHTS, _components, _mixture_nll, _neighbor_distances

FAST = dict(max_iter=5, hidden_layer_sizes=(16,), random_state=0)


def on_plane_anomalies(seed=0):
    """Two clusters in a plane of 8-D space, and anomalies in the plane between them.

    The anomalies lie in the same plane as the normal data, so a network that
    reconstructs the plane reconstructs them too; only their codes, far from
    both clusters, give them away.
    """
    rng = np.random.default_rng(seed)
    basis = rng.normal(size=(2, 8))
    normal = np.concatenate(
        [rng.normal([-4.0, 0.0], 0.5, size=(300, 2)), rng.normal([4.0, 0.0], 0.5, size=(300, 2))]
    )
    anomalies = rng.normal([0.0, 0.0], 0.3, size=(15, 2))
    X = np.concatenate([normal, anomalies]) @ basis + rng.normal(scale=0.05, size=(615, 8))
    y = np.r_[np.zeros(600), np.ones(15)]
    return X, y


def test_hybrid_catches_anomalies_that_reconstruct_well():
    X, y = on_plane_anomalies()
    params = dict(n_components=2, hidden_layer_sizes=(16,), max_iter=100, random_state=0)
    hybrid = Autoencoder(**params).fit(X)
    plain = Autoencoder(outlier_score="reconstruction", **params).fit(X)
    # the same network: only the score differs
    np.testing.assert_array_equal(hybrid.transform(X), plain.transform(X))
    auc_hybrid = roc_auc_score(y, -hybrid.score_samples(X))
    auc_plain = roc_auc_score(y, -plain.score_samples(X))
    assert auc_hybrid > 0.95
    assert auc_hybrid > auc_plain + 0.15


@pytest.mark.parametrize("cls", [Autoencoder, SparseAutoencoder, DenoisingAutoencoder])
def test_hybrid_is_the_default_of_the_dense_variants(cls, blobs):
    est = cls(3, **FAST).fit(blobs)
    assert est.outlier_score == "hybrid"
    scores = est.score_samples(blobs)
    assert not np.allclose(scores, -est.reconstruction_error(blobs))
    # score stays the reconstruction error, for model selection
    assert est.score(blobs) == pytest.approx(-est.reconstruction_error(blobs).mean(), rel=1e-5)


def test_outlier_stats_describe_the_training_data(blobs):
    ae = Autoencoder(3, **FAST).fit(blobs)
    stats = ae.outlier_stats_
    errors = ae.reconstruction_error(blobs, per_feature=True)
    np.testing.assert_allclose(1 / stats["inverse_feature_scale"], errors.mean(axis=0), rtol=1e-4)
    np.testing.assert_allclose(stats["reference_codes"], ae.transform(blobs), rtol=1e-5)
    assert stats["n_neighbors"] == 50
    assert stats["center"].shape == stats["spread"].shape == (len(COMPONENTS),)
    assert (stats["spread"] > 0).all()
    # a typical training sample scores near 0, far from the tails
    assert abs(np.median(ae.score_samples(blobs))) < 0.5


def test_hybrid_score_is_the_weighted_mean_of_standardized_components(blobs):
    ae = Autoencoder(3, **FAST).fit(blobs)
    stats = skae._outlier.torch_stats(ae.outlier_stats_, "cpu")
    with torch.no_grad():
        X = torch.as_tensor(blobs, dtype=torch.float32)
        codes = ae.net_.module_.encode(X)
        errors = (ae.net_.module_.decode(codes) - X).square()
        parts = _components(errors, codes, stats).numpy()
    z = (parts - ae.outlier_stats_["center"]) / ae.outlier_stats_["spread"]
    expected = -(z @ np.array(WEIGHTS)) / sum(WEIGHTS)
    np.testing.assert_allclose(ae.score_samples(blobs), expected, rtol=1e-4, atol=1e-5)


def test_few_samples_cap_the_neighbors_and_the_mixture():
    X = np.random.default_rng(0).normal(size=(2, 3))
    ae = Autoencoder(1, **FAST).fit(X)
    assert ae.outlier_stats_["n_neighbors"] == 1
    assert len(ae.outlier_stats_["mixture"]["means"]) == 2
    assert np.isfinite(ae.score_samples(X)).all()
    one = Autoencoder(1, **FAST).fit(X[:1])
    assert len(one.outlier_stats_["mixture"]["means"]) == 1
    assert np.isfinite(one.score_samples(X)).all()


def test_large_training_sets_keep_a_subsample_of_reference_codes(monkeypatch, blobs):
    monkeypatch.setattr(skae._outlier, "MAX_REFERENCE", 40)
    ae = Autoencoder(3, **FAST).fit(blobs)
    reference = ae.outlier_stats_["reference_codes"]
    assert reference.shape == (40, 3)
    codes = ae.transform(blobs)
    # the references are distinct training codes
    matches = [np.flatnonzero(np.isclose(codes, row, rtol=1e-5).all(axis=1)) for row in reference]
    assert all(len(m) >= 1 for m in matches)
    assert len({int(m[0]) for m in matches}) == 40
    assert ae.outlier_stats_["n_neighbors"] == 39


def test_large_training_sets_estimate_the_statistics_from_a_subsample(monkeypatch):
    monkeypatch.setattr(skae._outlier, "MAX_STATS_SAMPLES", 150)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 6)) @ rng.normal(size=(6, 6))
    params = dict(FAST, contamination=0.1)
    ae = Autoencoder(3, **params).fit(X)
    # all 150 subsampled codes are references (fewer than MAX_REFERENCE)
    assert ae.outlier_stats_["reference_codes"].shape == (150, 3)
    # the threshold comes from the subsample, so flags about 10% of all the data
    assert 0.05 <= np.mean(ae.predict(X) == -1) <= 0.15
    again = Autoencoder(3, **params).fit(X)
    np.testing.assert_array_equal(again.score_samples(X), ae.score_samples(X))
    # the same network scored with statistics from all 600 samples ranks alike
    monkeypatch.setattr(skae._outlier, "MAX_STATS_SAMPLES", 10_000)
    full = Autoencoder(3, **params).fit(X)
    assert full.outlier_stats_["reference_codes"].shape == (600, 3)
    correlation = np.corrcoef(full.score_samples(X), ae.score_samples(X))[0, 1]
    assert correlation > 0.9


def test_constant_data_scores_finitely():
    X = np.ones((30, 4))
    ae = Autoencoder(2, **FAST).fit(X)
    scores = ae.score_samples(X)
    assert np.isfinite(scores).all()
    assert np.isfinite(ae.score_samples(X + 1.0)).all()


def test_mixture_density_matches_scikit_learn():
    rng = np.random.default_rng(0)
    Z = np.concatenate([rng.normal(-2, 1, size=(200, 3)), rng.normal(2, 0.5, size=(200, 3))])
    mixture = GaussianMixture(2, random_state=0).fit(Z)
    nll = _mixture_nll(
        torch.as_tensor(Z),
        torch.as_tensor(np.log(mixture.weights_)),
        torch.as_tensor(mixture.means_),
        torch.as_tensor(mixture.precisions_cholesky_),
    )
    np.testing.assert_allclose(nll.numpy(), -mixture.score_samples(Z), rtol=1e-10)


@pytest.mark.parametrize("block_floats", [2**22, 50])  # one block, or blocks of one row
def test_neighbor_distance_matches_scikit_learn(monkeypatch, block_floats):
    monkeypatch.setattr(skae._outlier, "_DISTANCE_FLOATS", block_floats)
    rng = np.random.default_rng(0)
    reference, queries = rng.normal(size=(100, 3)), rng.normal(size=(30, 3))
    search = NearestNeighbors(n_neighbors=5).fit(reference)
    expected = search.kneighbors(queries)[0].mean(axis=1)
    got = _neighbor_distances(torch.as_tensor(queries), torch.as_tensor(reference), 5)
    np.testing.assert_allclose(got[:, 0].numpy(), expected, rtol=1e-10)
    # training codes skip themselves: the mean over the 5 nearest others
    expected_self = search.kneighbors(reference, n_neighbors=6)[0][:, 1:].mean(axis=1)
    got_self = _neighbor_distances(torch.as_tensor(reference), torch.as_tensor(reference), 5)
    np.testing.assert_allclose(got_self[:, 1].numpy(), expected_self, rtol=1e-10)


def test_outlier_score_is_validated(blobs):
    with pytest.raises(ValueError, match="outlier_score"):
        Autoencoder(outlier_score="density").fit(blobs)
