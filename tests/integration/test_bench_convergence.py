"""The convergence benchmark: skorch's stopping rule replayed, the batch rules, the report."""

import pytest


@pytest.fixture(scope="module")
def bench(load_script):
    return load_script("bench_convergence")


def test_the_replayed_rule_is_skorchs_early_stopping(bench):
    from skorch.callbacks import EarlyStopping

    losses = [1.0, 0.9, 0.895, 0.894, 0.8939, 0.8938, 0.8937, 0.89369]
    for mode, tol in [("abs", 1e-3), ("rel", 1e-2), ("rel", 1e-4)]:
        rule = EarlyStopping(patience=3, threshold=tol, threshold_mode=mode, lower_is_better=True)
        rule.on_train_begin(net=None)
        expected = None
        for epoch, loss in enumerate(losses, start=1):
            if not rule._is_score_improved(loss):
                rule.misses_ += 1
            else:
                rule.misses_ = 0
                rule.dynamic_threshold_ = rule._calc_new_threshold(loss)
            if rule.misses_ == 3:
                expected = epoch
                break
        assert bench.stop_epoch(losses, mode, tol, patience=3) == expected
    assert bench.stop_epoch(losses, "rel", 1e-2, patience=3) == 5  # 0.9 is the last to count
    assert bench.stop_epoch(losses, "rel", 1e-6, patience=3) is None


def test_the_batch_rules(bench):
    assert [bench.batch_size("auto", n) for n in (50, 400, 5000)] == [50, 200, 200]
    assert [bench.batch_size("tenth", n) for n in (20, 50, 400, 5000)] == [20, 32, 40, 200]


def test_the_report_compares_every_candidate_on_every_table(bench, data_folder, capsys):
    bench.main(
        [
            "--data",
            str(data_folder),
            "--sets",
            "selection",
            "confirmation",
            "--epochs",
            "6",
            "--max-iter",
            "4",
            "--max-rows",
            "200",
        ]
    )
    out = capsys.readouterr().out
    assert "easy" in out
    summary = out.split("median time ratio")[1].strip().splitlines()
    assert len(summary) == len(bench.BATCH_RULES) * len(bench.RULES)
    assert all(" of 1 " in line for line in summary)
    first = summary[0].split()
    assert first[0] == "auto/abs" and float(first[-3]) == pytest.approx(1.0)
