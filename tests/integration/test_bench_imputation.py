"""The imputation benchmark's protocol: masks, RMSE on removed entries, the NaN anomaly table."""

import re

import numpy as np
import pytest


@pytest.fixture(scope="module")
def bench(load_script):
    return load_script("bench_imputation")


@pytest.mark.parametrize("mechanism", ["mcar", "mnar"])
def test_the_masks_remove_the_rate_and_leave_every_row_an_entry(bench, mechanism):
    X = np.random.default_rng(0).normal(size=(4000, 10))
    holes, mask = bench.remove(X, mechanism, 0.4, np.random.default_rng(1))
    assert 0.38 < mask.mean() < 0.42
    assert (~mask).any(axis=1).all()
    np.testing.assert_array_equal(np.isnan(holes), mask)
    if mechanism == "mnar":
        # the largest values of a column go missing most often
        top = X[:, 0] > np.quantile(X[:, 0], 0.8)
        bottom = X[:, 0] < np.quantile(X[:, 0], 0.2)
        assert mask[top, 0].mean() > 3 * mask[bottom, 0].mean()


def test_the_rmse_is_taken_on_the_removed_entries_only(bench):
    X = np.arange(12.0).reshape(4, 3)
    holes, mask = X.copy(), np.zeros_like(X, dtype=bool)
    mask[0, 0] = mask[2, 1] = True
    holes[mask] = np.nan

    class Fill:
        def fit_transform(self, X):
            return np.where(np.isnan(X), 0.0, X + 100)  # observed entries changed: not counted

    rmse, seconds = bench.impute_once(Fill(), X, holes, mask)
    assert rmse == pytest.approx(np.sqrt((0**2 + 7**2) / 2)) and seconds >= 0


def test_bundled_tables_run_without_the_data_folder(bench, tmp_path, capsys):
    argv = ["--data", str(tmp_path), "--datasets", "wine", "--settings", "mcar20"]
    assert bench.main([*argv, "--seeds", "0", "--imputers", "skae", "mean", "knn"]) == 0
    out = capsys.readouterr().out
    line = re.search(r"wine \(178, 13\): mcar20 RMSE (.*)", out).group(1)
    rmse = {k: float(v) for k, v in re.findall(r"(\S+) ([0-9.]+)", line)}
    assert set(rmse) == {"skae", "mean", "knn"}
    # wine's columns are correlated: both learned imputers beat the mean
    assert rmse["skae"] < rmse["mean"] and rmse["knn"] < rmse["mean"]
    assert "Mean rank of the RMSE, MCAR 20%" in out


def test_adbench_tables_and_the_anomaly_table_need_the_folder(bench, tmp_path, capsys):
    assert bench.main(["--data", str(tmp_path), "--anomaly"]) == 2
    assert bench.main(["--data", str(tmp_path), "--datasets", "cardio"]) == 2
    assert "--data" in capsys.readouterr().out


def test_the_anomaly_table_scores_both_detectors_on_nan_data(bench, data_folder, capsys):
    argv = ["--data", str(data_folder), "--anomaly", "--datasets", "easy", "--seeds", "1"]
    status = bench.main(argv)
    out = capsys.readouterr().out
    target = re.search(r"Target \(skae's mean ROC-AUC at least IsolationForest's\): (\w+)", out)
    assert status == (0 if target.group(1) == "met" else 1)
    line = re.search(r"easy: (.*)", out).group(1)
    auc = dict(re.findall(r"(skae|iforest|skae complete|iforest complete) ([0-9.]+)", line))
    assert set(auc) == {"skae", "iforest", "skae complete", "iforest complete"}
    assert all(float(v) > 0.9 for v in auc.values())


def test_the_downstream_table_alone(bench, tmp_path, capsys):
    argv = ["--data", str(tmp_path), "--datasets", "wine", "diabetes", "--settings"]
    assert bench.main([*argv, "--seeds", "0", "--imputers", "mean", "knn", "--downstream"]) == 0
    out = capsys.readouterr().out
    assert "RMSE on the removed entries" not in out
    scores = {
        name: dict(re.findall(r"(\S+) ([0-9.-]+)", line))
        for name, line in re.findall(r"(wine|diabetes): downstream (.*)", out)
    }
    assert set(scores) == {"wine", "diabetes"}
    # wine's classes stay easy to tell apart with 20% missing; diabetes is a regression (R²)
    assert all(float(v) > 0.8 for v in scores["wine"].values())
    assert all(0.1 < float(v) < 0.7 for v in scores["diabetes"].values())
