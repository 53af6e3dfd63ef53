"""Out-of-core training: partial_fit chunk by chunk, and the fit_stream helper."""

import numpy as np
import pandas as pd
import pytest
import torch
from _helpers import VARIANTS

import skae
from skae import Autoencoder, ConvAutoencoder, fit_stream

PARAMS = dict(n_components=3, hidden_layer_sizes=(16,), batch_size=100, random_state=0)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    mixing = rng.normal(size=(4, 8))
    X = (rng.normal(size=(3000, 4)) @ mixing + 0.05 * rng.normal(size=(3000, 8))).astype(np.float32)
    return X[:2400], X[2400:]


def _mse(model, X):
    return float(np.mean(model.reconstruction_error(X)))


def test_streaming_reaches_the_error_of_a_fit_with_the_same_passes(data):
    X, X_test = data
    n_epochs = 15
    full = Autoencoder(**PARAMS, max_iter=n_epochs, tol=0.0, n_iter_no_change=n_epochs + 1)
    full.fit(X)
    assert full.n_iter_ == n_epochs
    streamed = fit_stream(Autoencoder(**PARAMS), X, n_epochs=n_epochs, chunk_size=600)
    # the same number of optimizer steps: 24 batches per pass either way
    steps = {
        int(state["step"]) for state in streamed.net_.optimizer_.state.values() if "step" in state
    }
    assert steps == {n_epochs * len(X) // 100}
    assert streamed.n_iter_ == n_epochs  # passes, not chunks
    assert len(streamed.loss_curve_) == n_epochs
    start = _mse(Autoencoder(**PARAMS, max_iter=1).fit(X[:100]), X_test)
    full_error, stream_error = _mse(full, X_test), _mse(streamed, X_test)
    assert full_error < 0.2 * start
    assert stream_error == pytest.approx(full_error, rel=0.15)


def test_fit_stream_is_partial_fit_on_each_chunk_in_turn(data):
    X, X_test = data
    streamed = fit_stream(Autoencoder(**PARAMS), X, n_epochs=2, chunk_size=700)
    by_hand = Autoencoder(**PARAMS)
    for _ in range(2):
        for start in range(0, len(X), 700):
            by_hand.partial_fit(X[start : start + 700])
    np.testing.assert_array_equal(streamed.transform(X_test), by_hand.transform(X_test))
    # one loss per pass: the mean of its chunks' losses, weighted by their rows
    rows = [700, 700, 700, 300]
    chunk_losses = np.reshape(by_hand.loss_curve_, (2, 4))
    expected = [np.average(losses, weights=rows) for losses in chunk_losses]
    np.testing.assert_allclose(streamed.loss_curve_, expected, rtol=1e-12)
    assert streamed.n_iter_ == 2 and by_hand.n_iter_ == 8


@pytest.mark.parametrize("cls", VARIANTS, ids=lambda c: c.__name__)
def test_every_variant_streams(cls):
    X = np.random.default_rng(0).uniform(size=(600, 16)).astype(np.float32)
    params = dict(n_components=3, batch_size=50, random_state=0)
    if cls is ConvAutoencoder:
        params["image_shape"] = (1, 4, 4)
    streamed = fit_stream(cls(**params), X, chunk_size=250)
    by_hand = cls(**params)
    for start in range(0, 600, 250):
        by_hand.partial_fit(X[start : start + 250])
    assert streamed.n_iter_ == 1
    np.testing.assert_array_equal(streamed.transform(X), by_hand.transform(X))
    assert np.isfinite(streamed.offset_)
    assert 0 < np.mean(streamed.predict(X) == -1) < 0.5


def test_fit_stream_is_deterministic(data):
    X, X_test = data
    first = fit_stream(Autoencoder(**PARAMS), X, n_epochs=2, chunk_size=500)
    second = fit_stream(Autoencoder(**PARAMS), X, n_epochs=2, chunk_size=500)
    np.testing.assert_array_equal(first.transform(X_test), second.transform(X_test))
    np.testing.assert_array_equal(first.score_samples(X_test), second.score_samples(X_test))
    assert first.offset_ == second.offset_
    other_chunks = fit_stream(Autoencoder(**PARAMS), X, n_epochs=2, chunk_size=800)
    assert not np.array_equal(first.transform(X_test), other_chunks.transform(X_test))


def test_partial_fit_keeps_the_optimizer_state_and_the_loss(data):
    X, _ = data
    ae = Autoencoder(**PARAMS).partial_fit(X[:1000])
    loss = ae.loss_
    ae.partial_fit(X[1000:2000])
    optimizer = ae.net_.optimizer_
    steps = {int(s["step"]) for s in optimizer.state.values() if "step" in s}
    assert steps == {20}
    assert ae.loss_ == loss


def test_partial_fit_checks_each_chunk_against_the_first(data):
    X, _ = data
    ae = Autoencoder(**PARAMS).partial_fit(X[:500])
    with pytest.raises(ValueError, match="X has 7 features, but Autoencoder is expecting 8"):
        ae.partial_fit(X[500:1000, :7])

    def chunks():
        yield X[:500]
        yield X[500:1000, :6]

    with pytest.raises(ValueError, match="X has 6 features, but Autoencoder is expecting 8"):
        fit_stream(Autoencoder(**PARAMS), chunks)


def test_the_threshold_comes_from_a_sample_of_the_whole_stream(data, monkeypatch):
    X, _ = data
    # rows ordered by norm: the last chunk holds only the largest rows
    ordered = X[np.argsort(np.linalg.norm(X, axis=1))]
    monkeypatch.setattr(skae._outlier, "MAX_STATS_SAMPLES", 1000)
    params = dict(PARAMS, contamination=0.1)
    model = fit_stream(Autoencoder(**params), ordered, n_epochs=2, chunk_size=400)
    flagged = np.mean(model.predict(ordered) == -1)
    assert 0.05 <= flagged <= 0.15
    # set from the last chunk alone, the statistics describe only the largest rows, and
    # the share flagged over all rows is far from the 10% asked for
    last_chunk_only = Autoencoder(**params)
    for start in range(0, len(ordered), 400):
        last_chunk_only.partial_fit(ordered[start : start + 400])
    assert abs(np.mean(last_chunk_only.predict(ordered) == -1) - 0.1) > 0.1


def test_the_sample_is_uniform_when_most_chunks_add_nothing(monkeypatch):
    monkeypatch.setattr(skae._outlier, "MAX_STATS_SAMPLES", 5)
    X = np.arange(2400 * 2, dtype=np.float32).reshape(2400, 2)
    kept = []
    original = Autoencoder.fit_threshold

    def spy(self, rows):
        kept.append(rows.copy())
        return original(self, rows)

    monkeypatch.setattr(Autoencoder, "fit_threshold", spy)
    fit_stream(Autoencoder(**PARAMS), X, chunk_size=10)
    (rows,) = kept
    assert rows.shape == (5, 2)
    # distinct rows of X, spread over the stream rather than all from the last chunks
    positions = rows[:, 0] // 2
    assert len(set(positions)) == 5
    assert positions.min() < 2000


def test_memmap_and_npy_file_stream_like_the_array(data, tmp_path):
    X, X_test = data
    path = tmp_path / "X.npy"
    np.save(path, X)
    in_memory = fit_stream(Autoencoder(**PARAMS), X, chunk_size=900)
    mapped = fit_stream(Autoencoder(**PARAMS), np.load(path, mmap_mode="r"), chunk_size=900)
    from_file = fit_stream(Autoencoder(**PARAMS), path, chunk_size=900)
    from_name = fit_stream(Autoencoder(**PARAMS), str(path), chunk_size=900)
    expected = in_memory.transform(X_test)
    for model in (mapped, from_file, from_name):
        np.testing.assert_array_equal(model.transform(X_test), expected)
        assert model.offset_ == in_memory.offset_


def test_auto_chunks_take_64_mib(data, monkeypatch):
    X, X_test = data
    monkeypatch.setattr(skae._streaming, "CHUNK_BYTES", 4 * 8 * 1000)
    auto = fit_stream(Autoencoder(**PARAMS), X)
    assert auto.net_.history[-1]["epoch"] == 3  # 2400 rows in chunks of 1000
    explicit = fit_stream(Autoencoder(**PARAMS), X, chunk_size=1000)
    np.testing.assert_array_equal(auto.transform(X_test), explicit.transform(X_test))


def test_dask_arrays_stream_by_their_chunks(data):
    da = pytest.importorskip("dask.array")
    X, X_test = data
    lazy = da.from_array(X, chunks=(800, 8))
    streamed = fit_stream(Autoencoder(**PARAMS), lazy, n_epochs=2)
    expected = fit_stream(Autoencoder(**PARAMS), X, n_epochs=2, chunk_size=800)
    assert len(streamed.net_.history) == 6  # three chunks of 800 rows, twice
    np.testing.assert_array_equal(streamed.transform(X_test), expected.transform(X_test))


def test_nested_lists_stream_like_the_array(data):
    X, X_test = data
    from_list = fit_stream(Autoencoder(**PARAMS), X[:1000].tolist(), chunk_size=400)
    from_array = fit_stream(Autoencoder(**PARAMS), X[:1000], chunk_size=400)
    np.testing.assert_array_equal(from_list.transform(X_test), from_array.transform(X_test))


def test_dataframe_chunks_keep_the_column_names(data):
    X, _ = data
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(8)])
    model = fit_stream(Autoencoder(**PARAMS), frame, chunk_size=1000)
    assert list(model.feature_names_in_) == list(frame.columns)
    errors = model.reconstruction_error(frame.iloc[:5], per_feature=True)
    assert list(errors.columns) == list(frame.columns)


def test_images_stream_into_a_conv_autoencoder():
    images = np.random.default_rng(0).uniform(size=(120, 8, 8)).astype(np.float32)
    conv = ConvAutoencoder(n_components=4, batch_size=40, random_state=0)
    conv = fit_stream(conv, images, chunk_size=40)
    assert len(conv.net_.history) == 3 and conv.n_iter_ == 1
    assert conv.inverse_transform(conv.transform(images[:2])).shape == (2, 8, 8)


def test_a_fitted_estimator_continues(data):
    X, _ = data
    ae = Autoencoder(**PARAMS).fit(X[:500])
    before = ae.n_iter_
    weights = [p.detach().clone() for p in ae.net_.module_.parameters()]
    fit_stream(ae, X, chunk_size=1200, n_epochs=2)
    assert ae.n_iter_ == before + 2
    assert len(ae.loss_curve_) == before + 2
    assert any(
        not torch.equal(a, b) for a, b in zip(weights, ae.net_.module_.parameters(), strict=True)
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_epochs": 0}, "n_epochs must be an integer >= 1; got 0"),
        ({"n_epochs": 1.5}, "n_epochs must be an integer >= 1"),
        ({"chunk_size": 0}, "chunk_size must be 'auto' or an integer >= 1; got 0"),
        ({"chunk_size": "big"}, "chunk_size must be 'auto' or an integer >= 1"),
    ],
)
def test_fit_stream_parameter_errors(data, kwargs, match):
    X, _ = data
    with pytest.raises(ValueError, match=match):
        fit_stream(Autoencoder(**PARAMS), X, **kwargs)


def test_fit_stream_input_errors(data, tmp_path):
    X, _ = data
    from sklearn.decomposition import PCA

    with pytest.raises(TypeError, match="with a partial_fit method; got PCA"):
        fit_stream(PCA(), X)
    with pytest.raises(ValueError, match=r"X must be a 2-D array-like .* of shape \(8,\)"):
        fit_stream(Autoencoder(**PARAMS), X[0])
    with pytest.raises(ValueError, match=r"X must be a 2-D array-like .* got int\."):
        fit_stream(Autoencoder(**PARAMS), 3)
    with pytest.raises(ValueError, match="X holds no rows"):
        fit_stream(Autoencoder(**PARAMS), X[:0])
    with pytest.raises(ValueError, match="X holds no rows"):
        fit_stream(Autoencoder(**PARAMS), list)
    path = tmp_path / "fortran.npy"
    np.save(path, np.asfortranarray(X))
    with pytest.raises(ValueError, match=r"C-ordered numeric array .* Fortran order"):
        fit_stream(Autoencoder(**PARAMS), path)
    complete = tmp_path / "complete.npy"
    np.save(complete, X)
    truncated = tmp_path / "truncated.npy"
    truncated.write_bytes(complete.read_bytes()[:-400])
    with pytest.raises(ValueError, match="ends before its header's 2400 rows"):
        fit_stream(Autoencoder(**PARAMS), truncated, chunk_size=1000)


class _InterruptAtBatch:
    """A skorch callback raising KeyboardInterrupt at the n-th training batch of a process."""

    def __new__(cls, n):
        from skorch.callbacks import Callback

        class Interrupt(Callback):
            count = 0

            def on_batch_end(self, net, training=False, **kwargs):
                if training:
                    type(self).count += 1  # class-wide: skae trains on copies of callbacks
                    if type(self).count == n:
                        raise KeyboardInterrupt

        return Interrupt()


def test_an_interrupted_stream_stops_keeps_the_complete_chunks_and_warns_once(data):
    X, X_test = data
    # 100-row batches, 600-row chunks: the interruption falls in chunk 2 of pass 2
    params = {**PARAMS, "callbacks": [_InterruptAtBatch(6 * 5 + 3)]}
    with pytest.warns(UserWarning, match=r"interrupted.*pass 2 of 3, at chunk 2.*5 complete") as w:
        streamed = fit_stream(Autoencoder(**params), X, n_epochs=3, chunk_size=600)
    assert len([m for m in w if "interrupted" in str(m.message)]) == 1
    by_hand = Autoencoder(**PARAMS)
    for start in [0, 600, 1200, 1800, 0]:
        by_hand.partial_fit(X[start : start + 600])
    np.testing.assert_array_equal(streamed.transform(X_test), by_hand.transform(X_test))
    assert streamed.n_iter_ == 2 and len(streamed.loss_curve_) == 2
    assert np.isfinite(streamed.offset_)


def test_an_interruption_in_the_first_chunk_propagates_and_changes_nothing(data):
    X, _ = data
    ae = Autoencoder(**{**PARAMS, "callbacks": [_InterruptAtBatch(2)]})
    with pytest.raises(KeyboardInterrupt):
        fit_stream(ae, X, chunk_size=600)
    assert not hasattr(ae, "net_")


def test_a_source_exhausted_on_a_later_pass_is_named(data):
    X, _ = data
    chunks = iter([X[:600], X[600:1200]])  # one generator, returned on every call
    ae = Autoencoder(**PARAMS)
    with pytest.raises(ValueError, match=r"gave no chunk on pass 2, after chunks on pass 1"):
        fit_stream(ae, lambda: chunks, n_epochs=2)
    assert not hasattr(ae, "net_")


def test_an_interruption_while_reading_a_chunk_keeps_the_chunks_before(data):
    X, X_test = data

    def source():
        yield X[:600]
        yield X[600:1200]
        raise KeyboardInterrupt

    with pytest.warns(UserWarning, match=r"interrupted.*pass 1 of 1, at chunk 3.*2 complete"):
        streamed = fit_stream(Autoencoder(**PARAMS), source)
    by_hand = Autoencoder(**PARAMS)
    by_hand.partial_fit(X[:600])
    by_hand.partial_fit(X[600:1200])
    np.testing.assert_array_equal(streamed.transform(X_test), by_hand.transform(X_test))


def test_bfloat16_tensors_stream(data):
    X, _ = data
    tensor = torch.from_numpy(X).to(torch.bfloat16)
    streamed = fit_stream(Autoencoder(**PARAMS), tensor, chunk_size=600)
    assert np.isfinite(streamed.offset_) and streamed.n_iter_ == 1
