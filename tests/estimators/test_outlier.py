"""The hybrid outlier score: its parts against scikit-learn, and what it catches."""

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import NearestNeighbors

import skae._outlier
from skae import Autoencoder, DenoisingAutoencoder, SparseAutoencoder
from skae._outlier import COMPONENTS, WEIGHTS, _components, kth_neighbor_distance

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
    # batches of 200: a network trained with a few steps an epoch, which reconstructs the
    # plane well and the anomalies on it too
    params = dict(
        n_components=2, hidden_layer_sizes=(16,), batch_size=200, max_iter=100, random_state=0
    )
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


def kth_distance(reference, queries, k, skip_self=False):
    """scikit-learn's distance to the k-th nearest reference (the (k+1)-th with skip_self)."""
    search = NearestNeighbors(n_neighbors=k + skip_self).fit(reference)
    return search.kneighbors(queries)[0][:, -1]


def test_outlier_stats_describe_the_training_data(blobs):
    ae = Autoencoder(3, **FAST).fit(blobs)
    stats = ae.outlier_stats_
    np.testing.assert_allclose(stats["input_mean"], blobs.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(stats["input_scale"], blobs.std(axis=0), rtol=1e-5)
    # fewer training rows than MAX_REFERENCE: all of them are references, standardised
    standardized = (blobs - blobs.mean(axis=0)) / blobs.std(axis=0)
    np.testing.assert_allclose(stats["reference_rows"], standardized, rtol=1e-4, atol=1e-5)
    codes = ae.transform(blobs)
    np.testing.assert_allclose(
        stats["reference_codes"], (codes - codes.mean(0)) / codes.std(0), rtol=1e-3, atol=1e-4
    )
    assert stats["n_neighbors"] == stats["n_code_neighbors"] == 10
    assert stats["center"].shape == stats["spread"].shape == (len(COMPONENTS),)
    assert (stats["spread"] > 0).all()
    # a typical training sample scores near 0, far from the tails
    assert abs(np.median(ae.score_samples(blobs))) < 0.5


def test_hybrid_score_is_the_weighted_mean_of_standardized_components(blobs):
    ae = Autoencoder(3, **FAST).fit(blobs)
    stats = ae.outlier_stats_
    rng = np.random.default_rng(1)
    X = blobs[:40] + rng.normal(scale=0.5, size=(40, 6))
    # the components, from scikit-learn's neighbour search on the standardised spaces
    rows = (X - stats["input_mean"]) / stats["input_scale"]
    codes = (ae.transform(X) - stats["code_mean"]) / stats["code_scale"]
    parts = np.column_stack(
        [
            kth_distance(stats["reference_rows"], rows, stats["n_neighbors"]),
            kth_distance(stats["reference_codes"], codes, stats["n_code_neighbors"]),
        ]
    )
    z = (parts - stats["center"]) / stats["spread"]
    expected = -(z @ np.array(WEIGHTS)) / sum(WEIGHTS)
    np.testing.assert_allclose(ae.score_samples(X), expected, rtol=1e-3, atol=1e-3)


def test_training_rows_leave_their_own_reference_out(blobs):
    ae = Autoencoder(3, **dict(FAST, contamination=0.1)).fit(blobs)
    stats = ae.outlier_stats_
    rows = (blobs - stats["input_mean"]) / stats["input_scale"]
    codes = (ae.transform(blobs) - stats["code_mean"]) / stats["code_scale"]
    k, k_code = stats["n_neighbors"], stats["n_code_neighbors"]
    parts = np.column_stack(
        [
            kth_distance(stats["reference_rows"], rows, k, skip_self=True),
            kth_distance(stats["reference_codes"], codes, k_code, skip_self=True),
        ]
    )
    # the centre is the median of the training components with each row's own copy left out
    np.testing.assert_allclose(stats["center"], np.median(parts, axis=0), rtol=1e-3)
    # the offset is the 10th percentile of the training scores as score_samples gives them
    assert ae.offset_ == pytest.approx(
        np.percentile(ae.score_samples(blobs), 10), rel=1e-4, abs=1e-4
    )


def test_neighbors_do_not_depend_on_the_units_of_a_feature(blobs):
    ae = Autoencoder(3, **FAST).fit(blobs)
    scaled = blobs * np.array([1000.0, 1, 1, 1, 1, 0.001])
    other = Autoencoder(3, **FAST).fit(scaled)
    stats, other_stats = (skae._outlier.torch_stats(e.outlier_stats_, "cpu") for e in (ae, other))
    X = torch.as_tensor(blobs, dtype=torch.float32)
    codes = torch.zeros(len(X), 3)
    mine = _components(X, codes, stats)[:, 0]
    theirs = _components(torch.as_tensor(scaled, dtype=torch.float32), codes, other_stats)[:, 0]
    np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-3, atol=1e-3)


def test_few_samples_cap_the_neighbors():
    X = np.random.default_rng(0).normal(size=(2, 3))
    ae = Autoencoder(1, **FAST).fit(X)
    assert ae.outlier_stats_["n_neighbors"] == 1
    assert np.isfinite(ae.score_samples(X)).all()
    one = Autoencoder(1, **FAST).fit(X[:1])
    assert one.outlier_stats_["n_neighbors"] == 1
    assert np.isfinite(one.score_samples(X)).all()


def test_large_training_sets_keep_a_subsample_of_references(monkeypatch, blobs):
    monkeypatch.setattr(skae._outlier, "MAX_REFERENCE", 40)
    monkeypatch.setattr(skae._outlier, "MAX_CODE_REFERENCE", 30)
    ae = Autoencoder(3, **FAST).fit(blobs)
    stats = ae.outlier_stats_
    assert stats["reference_rows"].shape == (40, 6)
    assert stats["reference_codes"].shape == (30, 3)
    standardized = (blobs - stats["input_mean"]) / stats["input_scale"]
    # the references are distinct training rows
    matches = [
        np.flatnonzero(np.isclose(standardized, row, rtol=1e-4, atol=1e-5).all(axis=1))
        for row in stats["reference_rows"]
    ]
    assert all(len(m) >= 1 for m in matches)
    assert len({int(m[0]) for m in matches}) == 40
    again = Autoencoder(3, **FAST).fit(blobs)
    np.testing.assert_array_equal(again.outlier_stats_["reference_rows"], stats["reference_rows"])
    drawn = Autoencoder(3, **dict(FAST, random_state=1)).fit(blobs)
    assert not np.array_equal(drawn.outlier_stats_["reference_rows"], stats["reference_rows"])


def test_large_training_sets_estimate_the_statistics_from_a_subsample(monkeypatch):
    monkeypatch.setattr(skae._outlier, "MAX_STATS_SAMPLES", 150)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 6)) @ rng.normal(size=(6, 6))
    params = dict(FAST, contamination=0.1)
    ae = Autoencoder(3, **params).fit(X)
    # the references come from the 150 subsampled rows (fewer than MAX_REFERENCE)
    assert ae.outlier_stats_["reference_rows"].shape == (150, 6)
    # the threshold comes from the subsample, so flags about 10% of all the data
    assert 0.05 <= np.mean(ae.predict(X) == -1) <= 0.15
    again = Autoencoder(3, **params).fit(X)
    np.testing.assert_array_equal(again.score_samples(X), ae.score_samples(X))
    # the same network scored with statistics from all 600 samples ranks alike
    monkeypatch.setattr(skae._outlier, "MAX_STATS_SAMPLES", 10_000)
    full = Autoencoder(3, **params).fit(X)
    assert full.outlier_stats_["reference_rows"].shape == (256, 6)
    correlation = np.corrcoef(full.score_samples(X), ae.score_samples(X))[0, 1]
    assert correlation > 0.9


def test_constant_data_scores_finitely():
    X = np.ones((30, 4))
    ae = Autoencoder(2, **FAST).fit(X)
    scores = ae.score_samples(X)
    assert np.isfinite(scores).all()
    assert np.isfinite(ae.score_samples(X + 1.0)).all()


def test_scores_do_not_depend_on_the_batch(blobs):
    ae = Autoencoder(3, **FAST).fit(blobs)
    whole = ae.score_samples(blobs)
    # bit for bit on a subset and in another order
    np.testing.assert_array_equal(ae.score_samples(blobs[:7]), whole[:7])
    np.testing.assert_array_equal(ae.score_samples(blobs[::-1]), whole[::-1])
    # one row at a time, the network's own matrix products may differ in the last bit
    single = [ae.score_samples(row[None])[0] for row in blobs[:5]]
    np.testing.assert_allclose(single, whole[:5], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("block_rows", [1024, 1, 7])  # one padded block, rows, padded blocks
def test_kth_neighbor_distance_matches_scikit_learn(monkeypatch, block_rows):
    monkeypatch.setattr(skae._outlier, "_BLOCK_ROWS", block_rows)
    rng = np.random.default_rng(0)
    reference, queries = rng.normal(size=(100, 3)), rng.normal(size=(30, 3))
    got = kth_neighbor_distance(torch.as_tensor(queries), torch.as_tensor(reference), 5)
    np.testing.assert_allclose(got.numpy(), kth_distance(reference, queries, 5), rtol=1e-8)
    # references among the queries skip their own copy: the 5th nearest other
    mixed = np.concatenate([reference[:10], queries])
    is_reference = torch.as_tensor(np.r_[np.ones(10), np.zeros(30)].astype(bool))
    got = kth_neighbor_distance(
        torch.as_tensor(mixed), torch.as_tensor(reference), 5, is_reference
    ).numpy()
    assert got.shape == (40, 2)
    # first column: as any query (a reference's own copy counts); second: own copy left out
    np.testing.assert_allclose(got[:, 0], kth_distance(reference, mixed, 5), rtol=1e-8, atol=1e-7)
    np.testing.assert_allclose(got[:10, 1], kth_distance(reference, reference[:10], 5, True), 1e-8)
    np.testing.assert_allclose(got[10:, 1], kth_distance(reference, queries, 5), rtol=1e-8)


def test_hybrid_is_robust_to_the_network_size():
    X, y = on_plane_anomalies(1)
    aucs = []
    for n_components in (2, 4):
        for hidden in ((16,), (32, 16)):
            ae = Autoencoder(
                n_components, hidden_layer_sizes=hidden, max_iter=50, random_state=0
            ).fit(X)
            aucs.append(roc_auc_score(y, -ae.score_samples(X)))
    assert min(aucs) > 0.95
    assert np.std(aucs) <= 0.02


def test_statistics_of_an_earlier_version_are_refused_with_the_remedy(blobs):
    ae = Autoencoder(3, **FAST).fit(blobs)
    expected = ae.score_samples(blobs)
    # what the previous hybrid score kept: no input-space references
    ae.outlier_stats_ = {"reference_codes": ae.outlier_stats_["reference_codes"], "n_neighbors": 50}
    with pytest.raises(ValueError, match=r"earlier skae.*input_mean.*fit_threshold\(X_train\)"):
        ae.score_samples(blobs)
    with pytest.raises(ValueError, match="earlier skae"):
        ae.predict(blobs)
    np.testing.assert_array_equal(ae.fit_threshold(blobs).score_samples(blobs), expected)


def test_outlier_score_is_validated(blobs):
    with pytest.raises(ValueError, match="outlier_score"):
        Autoencoder(outlier_score="density").fit(blobs)
