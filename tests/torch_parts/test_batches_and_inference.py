"""The training data path (TensorBatches) and batched inference (map_batches)."""

import numpy as np
import pytest
import torch

from skae._batches import TensorBatches
from skae._inference import PAD_ROWS, map_batches


def _rows(batches):
    return torch.cat([Xb for Xb, _ in batches])


def test_batches_visit_every_row_once_per_pass_in_a_new_order():
    X = torch.arange(10.0).reshape(10, 1)
    batches = TensorBatches(X, 4, shuffle=True, generator=torch.Generator().manual_seed(0))
    first, second = _rows(batches), _rows(batches)
    assert sorted(first.ravel().tolist()) == list(range(10))
    assert sorted(second.ravel().tolist()) == list(range(10))
    assert not torch.equal(first, second)


def test_batches_keep_the_short_last_batch():
    X = torch.zeros(10, 2)
    batches = TensorBatches(X, 4)
    assert [len(Xb) for Xb, _ in batches] == [4, 4, 2]
    assert len(batches) == 3
    assert [len(Xb) for Xb, _ in TensorBatches(X, 32)] == [10]


def test_batch_order_is_set_by_the_seed():
    X = torch.arange(20.0).reshape(20, 1)
    a = _rows(TensorBatches(X, 3, shuffle=True, generator=torch.Generator().manual_seed(5)))
    b = _rows(TensorBatches(X, 3, shuffle=True, generator=torch.Generator().manual_seed(5)))
    assert torch.equal(a, b)


def test_unshuffled_batches_keep_the_order():
    X = torch.arange(7.0).reshape(7, 1)
    assert torch.equal(_rows(TensorBatches(X, 2)), X)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_map_batches_matches_one_big_forward(dtype):
    module = torch.nn.Linear(3, 2)
    X = np.random.default_rng(0).normal(size=(11, 3)).astype(dtype)
    out = np.empty((11, 2), dtype=dtype)
    result = map_batches(module, X, lambda m, Xb: m(Xb), out, batch_size=4)
    assert result is out
    with torch.no_grad():
        expected = module(torch.from_numpy(X.astype(np.float32))).numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_map_batches_reads_read_only_arrays_without_warning(recwarn):
    X = np.ones((5, 3), dtype=np.float32)
    X.setflags(write=False)
    out = np.empty((5, 2), dtype=np.float32)
    map_batches(torch.nn.Linear(3, 2), X, lambda m, Xb: m(Xb), out, batch_size=2)
    assert not [w for w in recwarn if "not writable" in str(w.message)]


def test_map_batches_reports_the_first_nonfinite_batch():
    X = np.ones((10, 2), dtype=np.float32)
    X[7, 1] = np.nan
    calls = []

    def on_nonfinite(start, stop):
        calls.append((start, stop))
        raise ValueError("bad")

    out = np.zeros((10, 2), dtype=np.float32)
    with pytest.raises(ValueError, match="bad"):
        map_batches(
            torch.nn.Identity(),
            X,
            lambda m, Xb: m(Xb),
            out,
            batch_size=4,
            on_nonfinite=on_nonfinite,
        )
    assert calls == [(4, 8)]  # the bounds of the batch, to name its rows
    assert out[:4].sum() == 8 and out[4:].sum() == 0  # stopped at the batch holding the NaN


def test_map_batches_goes_on_after_a_false_alarm():
    # the sum of large finite values overflows; the callback finds nothing and returns
    X = np.full((4, 3), 3e38, dtype=np.float32)
    calls = []
    out = np.empty((4, 3), dtype=np.float32)
    map_batches(
        torch.nn.Identity(),
        X,
        lambda m, Xb: m(Xb),
        out,
        batch_size=4,
        on_nonfinite=lambda start, stop: calls.append(True),
    )
    assert calls == [True]
    np.testing.assert_array_equal(out, X)


def test_map_batches_reads_writable_float32_in_place():
    X = np.arange(256, dtype=np.float32).reshape(128, 2)  # two batches, multiples of PAD_ROWS
    seen = []
    out = np.empty((128, 2), dtype=np.float32)
    map_batches(
        torch.nn.Identity(), X, lambda m, Xb: seen.append(Xb.data_ptr()) or Xb, out, batch_size=64
    )
    assert seen == [X.ctypes.data, X[64:].ctypes.data]
    np.testing.assert_array_equal(out, X)


def test_map_batches_pads_short_batches_and_drops_the_padding():
    X = np.arange(10, dtype=np.float32).reshape(5, 2)
    shapes = []
    out = np.empty((5, 2), dtype=np.float32)
    map_batches(
        torch.nn.Identity(), X, lambda m, Xb: shapes.append(Xb.shape) or Xb + 1, out, batch_size=64
    )
    assert shapes == [(PAD_ROWS, 2)]
    np.testing.assert_array_equal(out, X + 1)


@pytest.mark.parametrize("width", [5, 30, 64])
def test_a_rows_result_does_not_depend_on_the_rows_beside_it(width):
    torch.manual_seed(0)
    module = torch.nn.Sequential(
        torch.nn.Linear(width, 64), torch.nn.ReLU(), torch.nn.Linear(64, 3)
    )
    X = np.random.default_rng(0).normal(size=(300, width)).astype(np.float32)

    def run(rows):
        out = np.empty((len(rows), 3), dtype=np.float32)
        return map_batches(module, rows, lambda m, Xb: m(Xb), out, batch_size=256)

    everything = run(X)
    for rows in ([7], [0, 1, 2], list(range(5, 16)), list(range(299, 100, -3))):
        np.testing.assert_array_equal(run(X[rows]), everything[rows])


def test_sharded_batches_split_each_global_batch_between_the_processes():
    X = torch.arange(23, dtype=torch.float32)[:, None]
    single = TensorBatches(X, 8, shuffle=True, generator=torch.Generator().manual_seed(3))
    shards = [
        TensorBatches(
            X, 4, shuffle=True, generator=torch.Generator().manual_seed(3), shard=(rank, 2)
        )
        for rank in (0, 1)
    ]
    assert len(single) == len(shards[0]) == len(shards[1]) == 3
    first, second = ([b for b, _ in shard] for shard in shards)
    # every process's batch is full, as the last global batch is filled from the start
    assert all(len(b) == 4 for b in first + second)
    for step, (batch, _) in enumerate(single):
        union = torch.cat([first[step], second[step]])
        if step < 2:
            torch.testing.assert_close(union, batch)
        else:
            torch.testing.assert_close(union[:7], batch)
    # the filling rows are the first rows of the same order
    torch.testing.assert_close(second[2][3:], first[0][:1])


def test_sharded_batches_repeat_rows_when_the_data_are_smaller_than_one_step():
    X = torch.arange(3, dtype=torch.float32)[:, None]
    shards = [TensorBatches(X, 4, shard=(rank, 2)) for rank in (0, 1)]
    rows = torch.cat([b for shard in shards for b, _ in shard]).ravel()
    assert rows.tolist() == [0, 1, 2, 0, 1, 2, 0, 1]
