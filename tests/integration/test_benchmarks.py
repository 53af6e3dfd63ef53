"""The anomaly benchmark's protocol, on a tiny synthetic ADBench-style folder."""

import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_anomaly.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_anomaly", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def data_folder(tmp_path):
    rng = np.random.default_rng(0)
    # inliers near a plane of 5-D space, anomalies scattered far off it
    inliers = rng.normal(size=(285, 2)) @ rng.normal(size=(2, 5))
    inliers += rng.normal(scale=0.05, size=inliers.shape)
    anomalies = rng.normal(scale=4.0, size=(15, 5))
    folder = tmp_path / "adbench_classical"
    folder.mkdir()
    np.savez(
        folder / "99_easy.npz",
        X=np.concatenate([inliers, anomalies]),
        y=np.r_[np.zeros(285), np.ones(15)],
    )
    return tmp_path


def test_a_missing_folder_is_reported(bench, tmp_path, capsys):
    assert bench.main(["--data", str(tmp_path / "nowhere")]) == 2
    assert "--data" in capsys.readouterr().out


def test_an_unknown_data_set_is_reported(bench, data_folder, capsys):
    assert bench.main(["--data", str(data_folder), "--datasets", "cardio"]) == 2
    out = capsys.readouterr().out
    assert "cardio" in out and "easy" in out


def test_the_protocol_scores_every_detector(bench, data_folder, capsys):
    argv = ["--data", str(data_folder), "--datasets", "easy", "--seeds", "1"]
    assert bench.main([*argv, "--detectors", "skae", "iforest", "pca"]) == 0
    out = capsys.readouterr().out
    line = re.search(r"easy \(300, 5\): ROC-AUC (.*)", out).group(1)
    auc = dict(re.findall(r"(\S+) ([0-9.]+)", line))
    assert set(auc) == {"skae", "iforest", "pca"}
    # anomalies far off the inliers' plane: every detector ranks them first
    assert all(float(v) > 0.95 for v in auc.values())
    assert "total time skae / iforest" in out
    # the threshold table: 5% anomalies in the data, and what each predict flags
    threshold_row = re.search(r"\neasy +(0\.050) +([0-9.]+)", out)
    assert threshold_row is not None
