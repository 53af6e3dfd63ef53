"""The anomaly benchmark's protocol, on a tiny synthetic ADBench-style folder."""

import re

import numpy as np
import pytest


@pytest.fixture(scope="module")
def bench(load_script):
    return load_script("bench_anomaly")


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
    line = re.search(r"easy \(300, 5\) \[(\w+)\]: ROC-AUC (.*)", out)
    assert line.group(1) == bench.half("easy")
    auc = dict(re.findall(r"(\S+) ([0-9.]+)", line.group(2)))
    assert set(auc) == {"skae", "iforest", "pca"}
    # anomalies far off the inliers' plane: every detector ranks them first
    assert all(float(v) > 0.95 for v in auc.values())
    assert "total time skae / iforest" in out
    # the threshold table: 5% anomalies in the data, and what each predict flags
    threshold_row = re.search(r"\neasy +(0\.050) +([0-9.]+)", out)
    assert threshold_row is not None


def test_the_halves_are_fixed_by_the_names_alone(bench):
    # pinned: a change of the rule would silently move sets between halves
    assert [bench.half(n) for n in ("cardio", "thyroid", "mnist", "satimage-2", "donors")] == [
        "selection",
        "selection",
        "confirmation",
        "confirmation",
        "selection",
    ]


def test_all_runs_one_half_and_prints_it_apart(bench, data_folder, capsys):
    folder = data_folder / "adbench_classical"
    data = np.load(folder / "99_easy.npz")
    names = {}
    for name in ("alpha", "beta", "gamma", "delta"):
        np.savez(folder / f"9_{name}.npz", X=data["X"], y=data["y"])
        names[name] = bench.half(name)
    (folder / "99_easy.npz").unlink()
    argv = ["--data", str(data_folder), "--all", "--seeds", "1", "--detectors", "knn5", "knn10"]
    assert bench.main(argv) == 0
    out = capsys.readouterr().out
    ran = set(re.findall(r"\n(\w+) \(300, 5\) \[selection\]", "\n" + out))
    assert ran == {n for n, h in names.items() if h == "selection"}
    assert "confirmation half" not in out
    assert bench.main([*argv, "--half", "both"]) == 0
    out = capsys.readouterr().out
    for part in set(names.values()):
        assert f"{part} half, {list(names.values()).count(part)} set(s): ROC-AUC" in out


def test_a_large_training_part_is_subsampled_and_knn_scores(
    bench, data_folder, monkeypatch, capsys
):
    monkeypatch.setattr(bench, "MAX_TRAIN", 50)
    seen = []
    original = bench.KNNDistance.fit

    def spy(self, X):
        seen.append(len(X))
        return original(self, X)

    monkeypatch.setattr(bench.KNNDistance, "fit", spy)
    argv = ["--data", str(data_folder), "--datasets", "easy", "--seeds", "1"]
    assert bench.main([*argv, "--detectors", "knn5", "knn10"]) == 0
    assert seen == [50, 50]
    line = re.search(r"easy \(300, 5\) \[\w+\]: ROC-AUC (.*)", capsys.readouterr().out)
    assert all(float(v) > 0.9 for v in re.findall(r"[0-9]\.[0-9]+", line.group(1)))


def test_the_grid_reports_the_spread_over_networks(bench, data_folder, monkeypatch, capsys):
    monkeypatch.setattr(bench, "GRID", [(2, (16,)), (4, (16,))])
    argv = ["--data", str(data_folder), "--datasets", "easy", "--seeds", "1", "--grid"]
    assert bench.main(argv) == 0
    out = capsys.readouterr().out
    row = re.search(r"easy \[\w+\]: default mean ([0-9.]+) std ([0-9.]+)", out)
    assert float(row.group(1)) > 0.95 and float(row.group(2)) < 0.05
    assert "reconstruction mean" in out and "largest std" in out
    # a set above --max-rows is named, not run
    assert bench.main([*argv, "--max-rows", "100"]) == 0
    assert "above --max-rows: not run" in capsys.readouterr().out
