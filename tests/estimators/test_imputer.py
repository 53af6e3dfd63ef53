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
