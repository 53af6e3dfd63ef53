"""Missing values (NaN): every public method of every estimator takes them; they play no part."""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import load_breast_cancer
from sklearn.preprocessing import StandardScaler

from skae import (
    Autoencoder,
    ConvAutoencoder,
    DenoisingAutoencoder,
    SparseAutoencoder,
    VariationalAutoencoder,
    fit_stream,
)
from skae.losses import ReconstructionLoss, VariationalLoss

VARIANTS = [
    Autoencoder,
    SparseAutoencoder,
    DenoisingAutoencoder,
    ConvAutoencoder,
    VariationalAutoencoder,
]
FAST = dict(max_iter=3, random_state=0)


@pytest.fixture(scope="module")
def data():
    X = StandardScaler().fit_transform(load_breast_cancer().data)[:200]
    holes = X.copy()
    holes[np.random.default_rng(0).random(X.shape) < 0.2] = np.nan
    return X, holes


@pytest.fixture(scope="module", params=VARIANTS, ids=lambda c: c.__name__)
def fitted(request, data):
    return request.param(**FAST).fit(data[1])


def test_fits_on_nan_are_finite_and_reproducible(data):
    _, holes = data
    for cls in VARIANTS:
        first, second = cls(**FAST).fit(holes), cls(**FAST).fit(holes)
        assert np.isfinite(first.loss_curve_).all()
        np.testing.assert_array_equal(first.transform(holes), second.transform(holes))


@pytest.mark.parametrize(
    "method",
    ["transform", "score_samples", "decision_function", "predict", "score", "reconstruct"],
)
def test_every_method_answers_incomplete_rows_with_finite_values(fitted, data, method):
    _, holes = data
    result = np.asarray(getattr(fitted, method)(holes))
    assert np.isfinite(result).all()


def test_errors_and_explanations_are_nan_exactly_at_missing_entries(fitted, data):
    _, holes = data
    missing = np.isnan(holes)
    per_feature = fitted.reconstruction_error(holes, per_feature=True)
    np.testing.assert_array_equal(np.isnan(per_feature), missing)
    means = fitted.reconstruction_error(holes)
    if isinstance(fitted, VariationalAutoencoder) is False:
        np.testing.assert_allclose(means, np.nanmean(per_feature, axis=1), rtol=1e-5)
    explained = fitted.explain(holes[:10])
    np.testing.assert_array_equal(np.isnan(explained), missing[:10])


def test_what_is_hidden_under_a_missing_entry_changes_no_output(fitted, data):
    # the same rows, the missing entries of one copy filled with something else first
    _, holes = data
    for method in ("transform", "score_samples", "reconstruct"):
        first = getattr(fitted, method)(holes)
        np.testing.assert_array_equal(first, getattr(fitted, method)(holes.copy()))
    frame = pd.DataFrame(holes)
    np.testing.assert_array_equal(fitted.score_samples(frame), fitted.score_samples(holes))


def test_variational_scores_and_likelihoods_take_incomplete_rows(data):
    _, holes = data
    vae = VariationalAutoencoder(**FAST).fit(holes)
    assert np.isfinite(vae.log_likelihood(holes[:20], n_importance_samples=5, random_state=0)).all()
    # a row's observed entries stand for all of them: dropping one entry keeps the scale
    complete = data[0][:20]
    fewer = complete.copy()
    fewer[:, 0] = np.nan
    ratio = vae.score_samples(fewer) / vae.score_samples(complete)
    assert np.all((ratio > 0.5) & (ratio < 2))


def test_partial_fit_fit_stream_and_threshold_take_nan(data):
    _, holes = data
    model = Autoencoder(**FAST).partial_fit(holes[:100]).partial_fit(holes[100:])
    assert np.isfinite(model.loss_curve_).all()
    model.fit_threshold(holes)
    assert np.isfinite(model.offset_)
    streamed = fit_stream(Autoencoder(**FAST), holes, n_epochs=2, chunk_size=64)
    assert np.isfinite(streamed.score_samples(holes)).all()


def test_early_stopping_validates_on_observed_entries(data):
    model = Autoencoder(early_stopping=True, **FAST).fit(data[1])
    assert np.isfinite(model.validation_scores_).all()


def test_the_fill_values_are_the_observed_means(data):
    _, holes = data
    np.testing.assert_allclose(Autoencoder(**FAST).fit(holes).fill_values_, np.nanmean(holes, 0))


@pytest.mark.parametrize("kind", ["mse", "bce"])
def test_the_loss_ignores_missing_entries_value_and_gradient(kind):
    generator = torch.Generator().manual_seed(0)
    output = torch.randn(6, 4, generator=generator, requires_grad=True)
    target = torch.rand(6, 4, generator=generator)
    observed = torch.rand(6, 4, generator=generator) > 0.3
    other = torch.where(observed, target, torch.rand(6, 4, generator=generator))
    for criterion in (ReconstructionLoss(kind), VariationalLoss(kind)):
        results = []
        for t in (target, other):
            out = (output, torch.zeros(6, 2), torch.zeros(6, 2))
            loss = criterion(out, t, observed=observed)
            (grad,) = torch.autograd.grad(loss, output)
            results.append((loss.detach(), grad))
        torch.testing.assert_close(results[0][0], results[1][0], rtol=0, atol=0)
        torch.testing.assert_close(results[0][1], results[1][1], rtol=0, atol=0)
        assert (results[0][1][~observed] == 0).all()


def test_the_masked_loss_is_the_mean_over_observed_entries():
    output, target = torch.zeros(2, 3), torch.tensor([[1.0, 2.0, 3.0], [4.0, 0.0, 0.0]])
    observed = torch.tensor([[True, True, False], [True, False, False]])
    loss = ReconstructionLoss("mse")((output,), target, observed=observed)
    assert loss.item() == pytest.approx((1 + 4 + 16) / 3)


def test_training_ignores_the_values_hidden_under_the_mask(data):
    # a masked array's hidden data and NaN train the same network, bit for bit
    X, holes = data
    masked = np.ma.masked_array(X, mask=np.isnan(holes))
    a = Autoencoder(**FAST).fit(masked)
    b = Autoencoder(**FAST).fit(holes)
    np.testing.assert_array_equal(a.transform(holes), b.transform(holes))


def test_a_criterion_without_a_mask_is_refused_on_nan_before_training(data):
    class Plain(ReconstructionLoss):
        def forward(self, output, target, module=None):
            return super().forward(output, target)

    class Custom(Autoencoder):
        def _make_criterion(self):
            return Plain(self.loss_)

    model = Custom(**FAST)
    with pytest.raises(ValueError, match="takes no 'observed' mask"):
        model.fit(data[1])
    assert not hasattr(model, "net_")
    assert np.isfinite(Custom(**FAST).fit(data[0]).loss_curve_).all()


def test_infinity_is_still_refused(fitted, data):
    bad = data[1].copy()
    bad[3, 5] = np.inf
    with pytest.raises(
        ValueError, match=r"contains infinity \(1 value\(s\), in column\(s\) \[5\]\)"
    ):
        fitted.score_samples(bad)


def test_tags_allow_nan():
    for cls in VARIANTS:
        assert cls().__sklearn_tags__().input_tags.allow_nan
