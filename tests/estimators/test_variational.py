"""Behaviour of VariationalAutoencoder: the ELBO, beta, sampling, determinism, safety."""

import math
import pickle

import numpy as np
import pytest
import torch
from _helpers import global_random_state_untouched

from skae import VariationalAutoencoder
from skae.losses import VariationalLoss, gaussian_kl, gaussian_log_density, log_likelihood
from skae.networks import LOG_VAR_BOUND, VariationalAutoencoderNetwork

FAST = dict(hidden_layer_sizes=(32,), max_iter=15, random_state=0)


@pytest.fixture(scope="module")
def X(digits):
    return digits[0][:400].astype(np.float32)


@pytest.fixture(scope="module")
def vae(X):
    return VariationalAutoencoder(2, **FAST).fit(X)


# ----------------------------------------------------------------------
# The loss, by hand


def test_gaussian_kl_by_hand():
    mean = torch.tensor([[0.0, 0.0], [1.0, -2.0]])
    log_var = torch.tensor([[0.0, 0.0], [math.log(4.0), math.log(0.25)]])
    # 0.5 * sum(mu^2 + var - 1 - log var)
    second = 0.5 * ((1 + 4 - 1 - math.log(4)) + (4 + 0.25 - 1 - math.log(0.25)))
    np.testing.assert_allclose(gaussian_kl(mean, log_var), [0.0, second], rtol=1e-6)


def test_log_likelihoods_by_hand():
    target = torch.tensor([[1.0, 0.0, 0.5]])
    logits = torch.tensor([[0.0, 2.0, -1.0]])
    p = 1 / (1 + np.exp(-logits.numpy()[0]))
    bernoulli = np.log(p[0]) + np.log(1 - p[1]) + 0.5 * np.log(p[2]) + 0.5 * np.log(1 - p[2])
    np.testing.assert_allclose(log_likelihood(logits, target, "bce"), [bernoulli], rtol=1e-6)
    gaussian = -0.5 * ((1 - 0) ** 2 + (0 - 2) ** 2 + (0.5 + 1) ** 2) - 1.5 * math.log(2 * math.pi)
    np.testing.assert_allclose(log_likelihood(logits, target, "mse"), [gaussian], rtol=1e-6)
    z = torch.tensor([[1.0, -1.0]])
    density = -0.5 * ((1 / 2) + math.log(2) + (4 / 2) + math.log(2) + 2 * math.log(2 * math.pi))
    log_var = torch.full((1, 2), math.log(2.0))
    np.testing.assert_allclose(
        gaussian_log_density(z, torch.tensor([[0.0, 1.0]]), log_var), [density], rtol=1e-6
    )


def test_variational_loss_is_the_weighted_negative_elbo():
    torch.manual_seed(1)
    logits, target = torch.randn(4, 3), torch.rand(4, 3)
    mean, log_var = torch.randn(4, 2), torch.randn(4, 2)
    for weight in (0.0, 1.0, 4.0):
        expected = (
            -log_likelihood(logits, target, "bce") + weight * gaussian_kl(mean, log_var)
        ).mean()
        got = VariationalLoss("bce", kl_weight=weight)((logits, mean, log_var), target)
        torch.testing.assert_close(got, expected)


def test_log_variance_is_bounded():
    network = VariationalAutoencoderNetwork.dense(3, 2, (), "relu")
    with torch.no_grad():
        network.encoder[0].weight.fill_(1e4)
    _, log_var = network.encode_distribution(torch.tensor([[1.0, 1.0, 1.0], [-1.0, -1, -1]]))
    assert log_var.abs().max() <= LOG_VAR_BOUND
    assert torch.isfinite(log_var.exp()).all()


def test_reparameterisation_draws_from_the_generator_only_in_training():
    network = VariationalAutoencoderNetwork.dense(5, 2, (4,), "relu")
    x = torch.rand(6, 5)
    network.generator = torch.Generator().manual_seed(0)
    first = network(x)[0]
    network.generator = torch.Generator().manual_seed(0)
    torch.testing.assert_close(network(x)[0], first)
    assert not torch.equal(network(x)[0], first)  # the generator moved on
    network.eval()
    mean, _ = network.encode_distribution(x)
    torch.testing.assert_close(network(x)[0], network.decoder(mean))


# ----------------------------------------------------------------------
# The estimator


def test_transform_is_the_posterior_mean(vae, X):
    mean, _ = vae.net_.module_.encode_distribution(torch.from_numpy(X))
    np.testing.assert_allclose(vae.transform(X), mean.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert vae.transform(X).dtype == np.float32


def test_score_samples_is_deterministic_and_independent_of_the_batch(vae, X):
    scores = vae.score_samples(X)
    np.testing.assert_array_equal(scores, vae.score_samples(X))
    order = np.random.default_rng(0).permutation(len(X))
    np.testing.assert_allclose(vae.score_samples(X[order]), scores[order], rtol=1e-5)
    np.testing.assert_allclose(vae.score_samples(X[:7]), scores[:7], rtol=1e-5)


def test_score_samples_is_the_elbo(vae, X):
    # recompute the ELBO from its parts, with the fixed draws elbo_noise_
    module = vae.net_.module_
    x = torch.from_numpy(X[:20])
    assert vae.elbo_noise_.shape == (10, 2)
    with torch.no_grad():
        mean, log_var = module.encode_distribution(x)
        std = torch.exp(0.5 * log_var)
        draws = [
            log_likelihood(module.decoder(mean + std * torch.from_numpy(e)), x, "bce")
            for e in vae.elbo_noise_.astype(np.float32)
        ]
        expected = (torch.stack(draws).mean(dim=0) - gaussian_kl(mean, log_var)).numpy()
    np.testing.assert_allclose(vae.score_samples(X[:20]), expected, rtol=1e-5)
    assert vae.score(X) == pytest.approx(vae.score_samples(X).mean(), rel=1e-6)
    # the training objective is the negative ELBO per sample too
    assert -vae.score(X) == pytest.approx(vae.loss_curve_[-1], rel=0.1)


def test_importance_weighted_bound_is_tighter_and_seeded(vae, X):
    elbo = vae.score_samples(X[:100])
    iw = vae.log_likelihood(X[:100], n_importance_samples=200, random_state=0)
    np.testing.assert_array_equal(
        iw, vae.log_likelihood(X[:100], n_importance_samples=200, random_state=0)
    )
    assert not np.array_equal(
        iw, vae.log_likelihood(X[:100], n_importance_samples=200, random_state=1)
    )
    # a lower bound on log p(x) at least as tight as the ELBO, on average
    assert iw.mean() > elbo.mean()
    assert np.isfinite(iw).all()
    with pytest.raises(ValueError, match="n_importance_samples must be a positive integer"):
        vae.log_likelihood(X, n_importance_samples=0)


def test_one_importance_sample_is_an_unbiased_elbo(vae, X):
    one = vae.log_likelihood(X[:200], n_importance_samples=1, random_state=0)
    np.testing.assert_allclose(one.mean(), vae.score_samples(X[:200]).mean(), rtol=0.03)


def test_beta_changes_the_codes(X):
    def mean_kl(beta):
        model = VariationalAutoencoder(4, beta=beta, **FAST).fit(X)
        with torch.no_grad():
            mean, log_var = model.net_.module_.encode_distribution(torch.from_numpy(X))
        return float(gaussian_kl(mean, log_var).mean())

    free, constrained = mean_kl(0.0), mean_kl(4.0)
    # with no KL term the posterior drifts far from the prior; beta=4 holds it close
    assert free > 5 * constrained
    assert constrained < 5.0


def test_kl_warmup_ramps_the_weight_linearly_per_batch(X):
    model = VariationalAutoencoder(
        2, beta=2.0, kl_warmup=4, batch_size=100, hidden_layer_sizes=(8,), random_state=0
    )
    model.partial_fit(X)  # one epoch of 4 batches: the last one at 3/4 of an epoch
    assert model.net_.criterion_.kl_weight == pytest.approx(2.0 * 0.75 / 4)
    for _ in range(4):
        model.partial_fit(X)
    assert model.net_.criterion_.kl_weight == 2.0
    without = VariationalAutoencoder(2, beta=2.0, hidden_layer_sizes=(8,), random_state=0)
    assert without.partial_fit(X).net_.criterion_.kl_weight == 2.0


def test_sample_shapes_and_seeds(vae, X):
    samples = vae.sample(5, random_state=0)
    assert samples.shape == (5, 64)
    np.testing.assert_array_equal(samples, vae.sample(5, random_state=0))
    assert not np.array_equal(samples, vae.sample(5, random_state=1))
    assert samples.min() >= 0 and samples.max() <= 1  # Bernoulli means
    for bad in (0, -1, 2.5, "3"):
        with pytest.raises(ValueError, match="n_samples must be a positive integer"):
            vae.sample(bad)


def test_sample_decodes_prior_draws(vae):
    Z = np.random.RandomState(3).standard_normal((4, 2))
    np.testing.assert_allclose(vae.sample(4, random_state=3), vae.inverse_transform(Z))


def test_decode_line_and_grid(vae, X):
    codes = vae.transform(X[:2]).astype(np.float64)
    line = vae.decode_line(codes[0], codes[1], n_points=5)
    assert line.shape == (5, 64)
    np.testing.assert_allclose(line[[0, -1]], vae.inverse_transform(codes), rtol=1e-5)
    grid, values = vae.decode_grid(5)
    assert grid.shape == (5, 5, 64) and values.shape == (5,)
    assert values[2] == pytest.approx(0.0, abs=1e-12)  # the middle quantile is the prior's mean
    np.testing.assert_allclose(grid[2, 2], vae.inverse_transform([[0.0, 0.0]])[0], rtol=1e-6)
    np.testing.assert_allclose(
        grid[1, 3], vae.inverse_transform([[values[1], values[3]]])[0], rtol=1e-6
    )


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda m: m.decode_line([0.0], [1.0, 1.0]), r"start must be a latent point of shape"),
        (lambda m: m.decode_line([0.0, np.nan], [1.0, 1.0]), "start holds NaN"),
        (lambda m: m.decode_grid(dims=(0, 0)), "dims must be two different latent dimensions"),
        (lambda m: m.decode_grid(dims=(0, 2)), "dims must be two different latent dimensions"),
        (lambda m: m.decode_grid(quantiles=(0.0, 0.9)), "quantiles must be"),
        (lambda m: m.decode_grid(n_points=0), "n_points must be a positive integer"),
    ],
)
def test_generation_errors(vae, call, message):
    with pytest.raises(ValueError, match=message):
        call(vae)


def test_grid_needs_two_dimensions(X):
    model = VariationalAutoencoder(1, hidden_layer_sizes=(8,), max_iter=1, random_state=0).fit(X)
    with pytest.raises(ValueError, match="decode_grid needs at least 2 latent dimensions"):
        model.decode_grid()


def test_fit_is_reproducible_and_leaves_global_rngs_alone(X):
    with global_random_state_untouched():
        a = VariationalAutoencoder(2, **FAST).fit(X)
    b = VariationalAutoencoder(2, **FAST).fit(X)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    np.testing.assert_array_equal(a.elbo_noise_, b.elbo_noise_)
    c = VariationalAutoencoder(2, **{**FAST, "random_state": 1}).fit(X)
    assert not np.array_equal(a.transform(X), c.transform(X))


def test_pickled_model_samples_and_scores_the_same(vae, X):
    restored = pickle.loads(pickle.dumps(vae))
    np.testing.assert_array_equal(restored.sample(3, random_state=0), vae.sample(3, random_state=0))
    np.testing.assert_array_equal(restored.score_samples(X), vae.score_samples(X))
    np.testing.assert_array_equal(
        restored.log_likelihood(X[:10], 20, random_state=0),
        vae.log_likelihood(X[:10], 20, random_state=0),
    )


@pytest.mark.parametrize("scale", [1e4, 1e6])
def test_large_unscaled_values_train_to_finite_outputs(scale):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 6)) * scale + 3 * scale
    model = VariationalAutoencoder(2, hidden_layer_sizes=(16,), max_iter=5, random_state=0)
    model.fit(X)
    assert model.loss_ == "mse"
    assert np.isfinite(model.loss_curve_).all()
    for output in (model.transform(X), model.score_samples(X), model.sample(4, random_state=0)):
        assert np.isfinite(output).all()
    assert np.isfinite(model.log_likelihood(X[:20], 10, random_state=0)).all()


def test_wide_inputs_train_to_finite_outputs():
    X = np.random.default_rng(0).random((60, 4000))
    model = VariationalAutoencoder(3, hidden_layer_sizes=(16,), max_iter=3, random_state=0)
    model.fit(X)
    assert np.isfinite(model.loss_curve_).all() and np.isfinite(model.score_samples(X)).all()


def test_outlier_api_flags_what_the_elbo_finds_unlikely(X):
    model = VariationalAutoencoder(2, contamination=0.05, **FAST).fit(X)
    assert (model.predict(X) == -1).mean() == pytest.approx(0.05, abs=0.01)
    noise = np.random.default_rng(0).random((20, 64)).astype(np.float32)
    assert (model.predict(noise) == -1).all()
    np.testing.assert_allclose(
        model.decision_function(X), model.score_samples(X) - model.offset_, rtol=1e-6
    )


def test_bce_needs_unit_range(X):
    with pytest.raises(ValueError, match=r"loss='bce' needs X in \[0, 1\]"):
        VariationalAutoencoder(2, loss="bce", max_iter=1).fit(X * 16)


# ----------------------------------------------------------------------
# Images


def test_images_train_the_convolutional_network(digits):
    images = digits[0][:200].reshape(-1, 8, 8)
    model = VariationalAutoencoder(3, filters=(4, 8), max_iter=3, random_state=0).fit(images)
    assert model.image_shape_ == (1, 8, 8)
    assert any(isinstance(m, torch.nn.Conv2d) for m in model.net_.module_.modules())
    assert model.sample(4, random_state=0).shape == (4, 8, 8)
    assert model.inverse_transform(model.transform(images)).shape == images.shape
    assert model.decode_grid(3)[0].shape == (3, 3, 8, 8)
    rows = images.reshape(200, 64)
    flat = VariationalAutoencoder(
        3, image_shape=(1, 8, 8), filters=(4, 8), max_iter=3, random_state=0
    ).fit(rows)
    np.testing.assert_array_equal(flat.transform(rows), model.transform(images))
    assert flat.sample(2, random_state=0).shape == (2, 64)


def test_rows_without_image_shape_train_the_dense_network(X):
    model = VariationalAutoencoder(2, hidden_layer_sizes=(8,), max_iter=1, random_state=0).fit(X)
    assert model.image_shape_ is None
    assert not any(isinstance(m, torch.nn.Conv2d) for m in model.net_.module_.modules())


def test_image_shape_errors(X):
    with pytest.raises(
        ValueError, match=r"image_shape=\(1, 4, 4\) needs X of 16 values per sample"
    ):
        VariationalAutoencoder(2, image_shape=(1, 4, 4), max_iter=1).fit(X)
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        VariationalAutoencoder(2, image_shape=(1, 8, 8), kernel_size=2, max_iter=1).fit(X)
