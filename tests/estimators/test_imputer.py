"""AutoencoderImputer: the imputer API, observed entries untouched, better than the mean."""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes, load_wine
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from skae import AutoencoderImputer

FAST = dict(max_iter=20, random_state=0)


def _holes(X, rate=0.2, seed=0):
    holes = X.copy()
    holes[np.random.default_rng(seed).random(X.shape) < rate] = np.nan
    return holes


@pytest.fixture(scope="module")
def wine():
    X, y = load_wine(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@parametrize_with_checks([AutoencoderImputer(max_iter=5, random_state=0)])
def test_sklearn_compatible_imputer(estimator, check):
    check(estimator)


def test_observed_entries_are_untouched_and_missing_ones_filled(wine):
    holes = _holes(wine[0])
    filled = AutoencoderImputer(**FAST).fit_transform(holes)
    observed = ~np.isnan(holes)
    np.testing.assert_array_equal(filled[observed], holes[observed])
    assert np.isfinite(filled).all()


def test_it_beats_the_mean_on_correlated_features():
    X = StandardScaler().fit_transform(load_diabetes().data)
    holes = _holes(X)
    missing = np.isnan(holes)
    ours = AutoencoderImputer(max_iter=100, random_state=0).fit_transform(holes)
    mean = SimpleImputer().fit_transform(holes)
    rmse = [np.sqrt(np.mean((f[missing] - X[missing]) ** 2)) for f in (ours, mean)]
    assert rmse[0] < 0.95 * rmse[1], rmse


def test_deterministic_with_a_seed(wine):
    holes = _holes(wine[0])
    first = AutoencoderImputer(**FAST).fit_transform(holes)
    np.testing.assert_array_equal(first, AutoencoderImputer(**FAST).fit_transform(holes))


def test_a_placeholder_value_is_imputed():
    X = np.abs(StandardScaler().fit_transform(load_diabetes().data)) + 1
    holes = X.copy()
    holes[np.random.default_rng(0).random(X.shape) < 0.2] = -1
    filled = AutoencoderImputer(missing_values=-1, **FAST).fit_transform(holes)
    assert not (filled == -1).any()
    np.testing.assert_array_equal(filled[holes != -1], X[holes != -1])


def test_empty_features_are_dropped_or_kept_as_zero(wine):
    holes = _holes(wine[0])
    holes[:, 3] = np.nan
    dropped = AutoencoderImputer(**FAST).fit(holes)
    assert dropped.transform(holes).shape == (len(holes), 12)
    assert list(dropped.get_feature_names_out()) == [f"x{i}" for i in range(13) if i != 3]
    kept = AutoencoderImputer(keep_empty_features=True, **FAST).fit(holes)
    out = kept.transform(holes)
    assert out.shape == (len(holes), 13) and (out[:, 3] == 0).all()


def test_a_row_with_nothing_observed_gets_the_means(wine):
    holes = _holes(wine[0])
    holes[5] = np.nan
    imputer = AutoencoderImputer(**FAST).fit(holes)
    np.testing.assert_allclose(imputer.transform(holes)[5], imputer.statistics_)


def test_add_indicator_appends_missing_indicator_columns(wine):
    holes = _holes(wine[0])
    frame = pd.DataFrame(holes, columns=[f"f{i}" for i in range(13)])
    imputer = AutoencoderImputer(add_indicator=True, **FAST).set_output(transform="pandas")
    out = imputer.fit_transform(frame)
    assert out.shape == (len(frame), 26)
    assert list(out.columns[13:]) == [f"missingindicator_f{i}" for i in range(13)]
    np.testing.assert_array_equal(out.iloc[:, 13:].to_numpy(), np.isnan(holes))


def test_in_a_pipeline_and_a_column_transformer(wine):
    holes, y = _holes(wine[0]), wine[1]
    pipe = make_pipeline(AutoencoderImputer(**FAST), LogisticRegression(max_iter=500))
    assert cross_val_score(pipe, holes, y, cv=3).mean() > 0.8
    frame = pd.DataFrame(holes, columns=[f"f{i}" for i in range(13)])
    columns = ColumnTransformer([("ae", AutoencoderImputer(**FAST), list(frame.columns[:8]))])
    assert columns.fit_transform(frame).shape == (len(frame), 8)


def test_float32_stays_float32(wine):
    holes = _holes(wine[0]).astype(np.float32)
    assert AutoencoderImputer(**FAST).fit_transform(holes).dtype == np.float32


def test_errors_name_their_cause_and_a_failed_fit_changes_nothing(wine):
    imputer = AutoencoderImputer(**FAST)
    with pytest.raises(ValueError, match="no observed value at all"):
        imputer.fit(np.full((5, 3), np.nan))
    bad = _holes(wine[0])
    bad[0, 2] = np.inf
    with pytest.raises(ValueError, match=r"contains infinity .* \[2\]"):
        imputer.fit(bad)
    assert not hasattr(imputer, "autoencoder_")
    with pytest.raises(ValueError, match="mask_rate"):
        AutoencoderImputer(mask_rate=1.0).fit(wine[0])
    fitted = AutoencoderImputer(**FAST).fit(_holes(wine[0]))
    with pytest.raises(ValueError, match="features"):
        fitted.transform(wine[0][:, :5])


def test_the_held_out_entries_judge_training_and_the_best_epoch_is_kept(wine):
    holes = _holes(wine[0])
    imputer = AutoencoderImputer(max_iter=60, n_iter_no_change=5, random_state=0).fit(holes)
    history = imputer.autoencoder_.net_.history
    held_out = history[:, "held_out_loss"]
    assert len(held_out) == imputer.n_iter_ and np.isfinite(held_out).all()
    # stopped on the held-out loss: the last n_iter_no_change epochs did not improve on the best
    if imputer.n_iter_ < 60:
        assert min(held_out[-5:]) > min(held_out) - imputer.tol
    # the weights kept are the best epoch's: the same entries held out again score its loss
    from skae._imputer import hold_out

    Z = (holes - imputer.statistics_) / imputer.scale_
    _, (rows, held, values) = hold_out(Z, imputer.validation_fraction, 0)
    again = imputer.autoencoder_.reconstruct(rows.numpy())
    error = np.mean((again[held.numpy()] - values.numpy()[held.numpy()]) ** 2)
    assert error == pytest.approx(min(held_out), rel=1e-4)
    callback = dict(imputer.autoencoder_.net_.callbacks_)["held_out"]
    assert callback.rows is None  # the rows were dropped when training ended
    # without early stopping nothing is held out
    plain = AutoencoderImputer(early_stopping=False, **FAST).fit(holes)
    assert "held_out_loss" not in plain.autoencoder_.net_.history[-1]


def test_the_learning_rate_drops_when_the_held_out_loss_stalls(wine):
    holes = _holes(wine[0])
    imputer = AutoencoderImputer(
        max_iter=80, n_iter_no_change=40, learning_rate_init=1e-2, random_state=0
    ).fit(holes)
    rates = imputer.autoencoder_.net_.history[:, "event_lr"]
    assert rates[0] == pytest.approx(1e-2)
    assert min(rates) < 1e-2


def test_hold_out_keeps_an_entry_of_every_row_and_column():
    from skae._imputer import hold_out

    rng = np.random.default_rng(0)
    Z = rng.normal(size=(300, 6))
    Z[rng.random(Z.shape) < 0.5] = np.nan
    Z[0, 1:] = np.nan  # one observed entry: it may not be held out
    Z[1:, 5] = np.nan  # a column with one observed entry
    Z[0, 0] = 1.0
    Z[1, 5] = 2.0
    training, (rows, held, values) = hold_out(Z, 0.9, 0)
    observed = ~np.isnan(Z)
    kept = ~np.isnan(training)
    assert not (kept & ~observed).any()  # nothing appears that was missing
    assert kept[observed.any(axis=1)].any(axis=1).all()
    assert kept[:, observed.any(axis=0)].any(axis=0).all()
    assert kept[0, 0] and kept[1, 5]
    held_full = observed & ~kept
    assert held.sum() == held_full.sum() > 0.5 * observed.sum()
    np.testing.assert_array_equal(values.numpy()[held.numpy()], Z[held_full].astype(np.float32))
    assert np.isnan(rows.numpy()[held.numpy()]).all()


def test_the_network_tells_a_missing_entry_from_an_observed_zero():
    import torch

    from skae.networks import DenseAutoencoderNetwork

    torch.manual_seed(0)
    net = DenseAutoencoderNetwork(4, 3, (8,), "relu", missing_indicator=True)
    assert net.reads_missing and net.encoder[0][0].in_features == 8
    rows = torch.tensor([[0.5, float("nan"), 1.0, -1.0], [0.5, 0.0, 1.0, -1.0]])
    codes = net.encode(rows)
    assert torch.isfinite(codes).all()
    assert not torch.allclose(codes[0], codes[1])
    assert not DenseAutoencoderNetwork(4, 3, (8,), "relu").reads_missing


def test_masking_noise_can_hide_entries_as_missing():
    import torch

    from skae.noise import Corruption

    X = torch.ones(2000, 5)
    generator = torch.Generator().manual_seed(0)
    hidden = Corruption("masking", 0.4, value=float("nan"))(X, generator)
    share = torch.isnan(hidden).float().mean().item()
    assert 0.37 < share < 0.43
    assert (hidden[~torch.isnan(hidden)] == 1).all()
    zeroed = Corruption("masking", 0.4)(X, generator)
    assert not torch.isnan(zeroed).any() and 0.37 < (zeroed == 0).float().mean().item() < 0.43


def test_its_callback_names_are_reserved(wine):
    from skorch.callbacks import Callback

    with pytest.raises(ValueError, match="'held_out'"):
        AutoencoderImputer(callbacks=[("held_out", Callback())], **FAST).fit(_holes(wine[0]))


@pytest.mark.parametrize(("n_rows", "batch"), [(20, 20), (100, 32), (900, 90), (5000, 200)])
def test_auto_batches_take_a_tenth_of_the_rows_between_32_and_200(n_rows, batch):
    X = _holes(np.random.default_rng(0).normal(size=(n_rows, 10)))
    imputer = AutoencoderImputer(max_iter=1, early_stopping=False, random_state=0).fit(X)
    assert imputer.autoencoder_.batch_size == batch


def test_a_global_pandas_output_does_not_reach_the_inner_network():
    from sklearn import config_context

    X = np.random.default_rng(0).normal(size=(120, 4))
    X[::7, 1] = np.nan
    with config_context(transform_output="pandas"):
        filled = AutoencoderImputer(max_iter=3, random_state=0).fit_transform(X)
    assert filled.shape == (120, 4) and not filled.isna().any().any()
