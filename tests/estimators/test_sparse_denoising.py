"""Behaviour of SparseAutoencoder and DenoisingAutoencoder."""

import numpy as np
import pytest
import torch
from _helpers import global_random_state_untouched
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV, train_test_split

from skae import Autoencoder, DenoisingAutoencoder, SparseAutoencoder

FAST = dict(max_iter=5, hidden_layer_sizes=(16,), random_state=0)


def _psnr(estimate, clean):
    return 10 * np.log10(1.0 / np.mean((estimate - clean) ** 2))


# ---------------------------------------------------------------- sparse


@pytest.mark.parametrize("sparsity, weights", [("l1", (0.0, 1e-3)), ("kl", (0.0, 1e-1))])
def test_a_larger_sparsity_weight_lowers_the_mean_activation(digits, sparsity, weights):
    X, _ = digits
    means = [
        SparseAutoencoder(32, sparsity=sparsity, sparsity_weight=w, max_iter=60, random_state=0)
        .fit(X)
        .sparsity_stats(X)["mean_activation"]
        for w in weights
    ]
    assert means[1] < 0.5 * means[0]


def test_l1_codes_are_non_negative_and_kl_codes_lie_in_the_unit_interval(blobs):
    l1 = SparseAutoencoder(4, sparsity="l1", **FAST).fit(blobs).transform(blobs)
    kl = SparseAutoencoder(4, sparsity="kl", **FAST).fit(blobs).transform(blobs)
    assert l1.min() >= 0
    assert kl.min() > 0 and kl.max() < 1


def test_sparsity_stats_describe_the_codes(blobs):
    sae = SparseAutoencoder(4, **FAST).fit(blobs)
    codes = np.abs(sae.transform(blobs))
    stats = sae.sparsity_stats(blobs, threshold=0.1)
    assert stats["mean_activation"] == pytest.approx(codes.mean())
    assert stats["fraction_near_zero"] == pytest.approx(np.mean(codes <= 0.1))
    np.testing.assert_allclose(stats["unit_mean_activation"], codes.mean(axis=0))
    assert stats["dead_units"] == int(np.sum((codes <= 0.1).all(axis=0)))


def test_the_penalty_trains_but_does_not_score(blobs):
    params = dict(sparsity_weight=10.0, outlier_score="reconstruction", **FAST)
    sae = SparseAutoencoder(4, **params).fit(blobs)
    np.testing.assert_allclose(sae.score_samples(blobs), -sae.reconstruction_error(blobs))
    plain_loss = np.mean(sae.reconstruction_error(blobs))
    assert sae.loss_curve_[-1] > plain_loss  # the curve includes the penalty


def test_grid_search_over_code_size_and_sparsity_without_labels(digits):
    X, _ = digits
    search = GridSearchCV(
        SparseAutoencoder(max_iter=10, random_state=0),
        {"n_components": [8, 16], "sparsity_weight": [1e-4, 1e-2]},
        cv=2,
    ).fit(X[:600])
    assert len(search.cv_results_["mean_test_score"]) == 4
    assert search.best_params_["sparsity_weight"] == 1e-4  # less penalty, better reconstruction


# ---------------------------------------------------------------- denoising


@pytest.mark.parametrize("noise", ["gaussian", "masking", "salt_pepper"])
def test_zero_noise_trains_exactly_like_the_plain_autoencoder(blobs, noise):
    dae = DenoisingAutoencoder(3, noise=noise, noise_level=0.0, **FAST).fit(blobs)
    ae = Autoencoder(3, **FAST).fit(blobs)
    np.testing.assert_array_equal(dae.transform(blobs), ae.transform(blobs))


@pytest.mark.parametrize("noise", ["gaussian", "masking", "salt_pepper"])
def test_noise_changes_training_only(blobs, noise):
    dae = DenoisingAutoencoder(3, noise=noise, noise_level=0.3, **FAST).fit(blobs)
    ae = Autoencoder(3, **FAST).fit(blobs)
    assert not np.array_equal(dae.transform(blobs), ae.transform(blobs))
    first = (dae.transform(blobs), dae.score_samples(blobs), dae.denoise(blobs))
    torch.manual_seed(123)
    np.random.seed(123)  # noqa: NPY002
    second = (dae.transform(blobs), dae.score_samples(blobs), dae.denoise(blobs))
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("noise", ["gaussian", "masking", "salt_pepper"])
def test_noisy_fits_are_reproducible_and_leave_global_rngs_alone(blobs, noise):
    with global_random_state_untouched():
        a = DenoisingAutoencoder(3, noise=noise, noise_level=0.3, **FAST).fit(blobs)
        b = DenoisingAutoencoder(3, noise=noise, noise_level=0.3, **FAST).fit(blobs)
    np.testing.assert_array_equal(a.transform(blobs), b.transform(blobs))


def _training_inputs(estimator, X):
    """Fit ``estimator`` on ``X`` and collect what its network saw while training."""
    seen = []

    def record(module, inputs, output):
        if module.training:
            seen.append(inputs[0].detach().clone())

    estimator.set_params(max_iter=1, batch_size=len(X))
    estimator.fit(X)
    estimator.net_.module_.register_forward_hook(record)
    estimator.partial_fit(X)
    return seen[0].numpy()


def test_training_batches_are_corrupted_and_inference_is_not(digits):
    X = digits[0][:200]
    dae = DenoisingAutoencoder(8, noise="masking", noise_level=0.5, random_state=0)
    seen = _training_inputs(dae, X)
    assert not np.array_equal(np.sort(seen, axis=None), np.sort(X.astype(np.float32), axis=None))
    fed = []
    dae.net_.module_.encoder.register_forward_hook(lambda m, i, o: fed.append(i[0].numpy()))
    dae.transform(X)
    np.testing.assert_array_equal(fed[0][: len(X)], X.astype(np.float32))
    assert not fed[0][len(X) :].any()  # the padding rows of the last batch


def test_gaussian_noise_is_clipped_to_the_unit_interval_for_bce(digits):
    X = digits[0][:200]
    seen = _training_inputs(DenoisingAutoencoder(8, noise_level=1.0, random_state=0), X)
    assert seen.min() == 0 and seen.max() == 1
    seen = _training_inputs(DenoisingAutoencoder(8, noise_level=1.0, loss="mse", random_state=0), X)
    assert seen.min() < 0 and seen.max() > 1


def test_salt_and_pepper_draw_each_features_training_extremes(blobs):
    seen = _training_inputs(
        DenoisingAutoencoder(3, noise="salt_pepper", noise_level=0.5, random_state=0), blobs
    )
    X = blobs.astype(np.float32)  # seen holds the same rows, shuffled, then corrupted
    extremes = (seen == X.min(axis=0)) | (seen == X.max(axis=0))
    assert extremes.mean() == pytest.approx(0.5, abs=0.1)  # 2 of 120 per column before
    for j in range(X.shape[1]):
        assert np.isin(seen[:, j], X[:, j]).all()


@pytest.mark.parametrize("noise", ["masking", "salt_pepper"])
def test_probabilities_above_one_are_refused(blobs, noise):
    dae = DenoisingAutoencoder(noise=noise, noise_level=1.5, **FAST)
    with pytest.raises(ValueError, match=rf"noise={noise!r}, so it must be at most 1; got 1.5"):
        dae.fit(blobs)


def test_denoising_beats_the_best_pca_on_held_out_digits(digits):
    X, _ = digits
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)
    noisy = np.clip(X_test + np.random.default_rng(0).normal(0, 0.5, X_test.shape), 0, 1)
    best_pca = max(
        _psnr(pca.inverse_transform(pca.transform(noisy)), X_test)
        for pca in (PCA(k).fit(X_train) for k in (8, 16, 32))
    )
    dae = DenoisingAutoencoder(32, hidden_layer_sizes=(256,), noise_level=0.5, random_state=0).fit(
        X_train
    )
    assert _psnr(dae.denoise(noisy), X_test) > best_pca + 0.5
    assert _psnr(noisy, X_test) < best_pca


def test_reconstruct_is_decode_of_encode(blobs):
    ae = Autoencoder(3, **FAST).fit(blobs)
    np.testing.assert_allclose(
        ae.reconstruct(blobs), ae.inverse_transform(ae.transform(blobs)), rtol=1e-6, atol=1e-7
    )
