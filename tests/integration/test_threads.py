"""skae picks torch's thread count for its work, restores the caller's, shares cores."""

import threading
from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import pytest
import torch
from sklearn.model_selection import cross_validate
from sklearn.utils._param_validation import InvalidParameterError
from skorch.callbacks import Callback
from torch.utils.flop_counter import FlopCounterMode

from skae import Autoencoder, ConvAutoencoder
from skae._threads import MIN_FLOPS_PER_THREAD, count_flops, threads_for, torch_threads
from skae.networks import (
    ConvAutoencoderNetwork,
    DenseAutoencoderNetwork,
    VariationalAutoencoderNetwork,
)


class _ThreadRecorder(Callback):
    def on_train_begin(self, net, **kwargs):
        self.threads = torch.get_num_threads()


def _recorded_threads(ae):
    return dict(ae.net_.callbacks_)["_ThreadRecorder"].threads


def _inference_threads(ae, X):
    seen = []
    handle = ae.net_.module_.encoder.register_forward_hook(
        lambda *args: seen.append(torch.get_num_threads())
    )
    try:
        ae.transform(X)
    finally:
        handle.remove()
    return set(seen)


@pytest.fixture
def X():
    return np.random.default_rng(0).normal(size=(60, 5))


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def test_small_batches_train_on_one_thread_and_the_setting_is_restored(X, two_threads):
    ae = Autoencoder(2, max_iter=2, callbacks=[_ThreadRecorder()], random_state=0).fit(X)
    assert ae.net_.sample_flops_ * 60 < MIN_FLOPS_PER_THREAD
    assert _recorded_threads(ae) == 1
    assert torch.get_num_threads() == 2
    assert _inference_threads(ae, X) == {1}
    assert torch.get_num_threads() == 2


def test_large_batches_use_the_callers_threads_and_never_more(two_threads):
    images = np.random.default_rng(0).random((64, 1, 28, 28), dtype=np.float32)
    conv = ConvAutoencoder(4, filters=(16, 32), max_iter=1, callbacks=[_ThreadRecorder()])
    conv.set_params(batch_size=64, random_state=0).fit(images)
    assert conv.net_.sample_flops_ * 64 >= 2 * MIN_FLOPS_PER_THREAD
    assert _recorded_threads(conv) == 2
    torch.set_num_threads(1)
    conv.fit(images)
    assert _recorded_threads(conv) == 1
    assert torch.get_num_threads() == 1


def test_an_int_is_used_as_it_is(X, two_threads):
    for n_threads in (1, 3):
        ae = Autoencoder(2, max_iter=1, n_threads=n_threads, callbacks=[_ThreadRecorder()])
        ae.set_params(tol=0.5, random_state=0).fit(X)
        assert _recorded_threads(ae) == n_threads
        assert _inference_threads(ae, X) == {n_threads}
        assert torch.get_num_threads() == 2


def test_the_thread_count_changes_a_dense_fit_at_most_in_its_last_bits(X, two_threads):
    fits = [Autoencoder(2, max_iter=5, n_threads=n, random_state=0).fit(X) for n in (1, 2, "auto")]
    codes = [f.transform(X) for f in fits]
    # "auto" takes one thread on so small a network: the same bits as n_threads=1
    np.testing.assert_array_equal(codes[2], codes[0])
    # two threads may round differently (on an AMD EPYC they did, by about 1e-7)
    np.testing.assert_allclose(codes[1], codes[0], rtol=1e-5, atol=1e-6)


class _Raise(Callback):
    def on_epoch_end(self, net, **kwargs):
        raise RuntimeError("stop")


def test_a_failed_fit_restores_the_setting(X, two_threads):
    with pytest.raises(RuntimeError, match="stop"):
        Autoencoder(2, max_iter=3, n_threads=1, callbacks=[_Raise()]).fit(X)
    assert torch.get_num_threads() == 2


@pytest.mark.parametrize("bad", [0, -1, 1.5, "all", True])
def test_bad_n_threads_is_refused_before_training(X, bad):
    ae = Autoencoder(2, n_threads=bad)
    with pytest.raises(InvalidParameterError, match="n_threads"):
        ae.fit(X)
    assert not hasattr(ae, "net_")


def test_threads_for_refuses_what_set_params_let_through():
    with pytest.raises(ValueError, match="n_threads must be 'auto' or an int >= 1"):
        threads_for("many", 1e9)


def test_fits_in_python_threads_match_serial_fits_and_restore_every_setting(two_threads):
    rng = np.random.default_rng(1)
    datasets = [rng.normal(size=(300, 8)) for _ in range(4)]

    def fit(data):
        return Autoencoder(3, max_iter=4, random_state=0).fit(data).transform(data)

    serial = [fit(data) for data in datasets]
    with ThreadPoolExecutor(max_workers=2) as pool:
        threaded = list(pool.map(fit, datasets))
    assert all(np.array_equal(a, b) for a, b in zip(serial, threaded))
    assert torch.get_num_threads() == 2


def test_a_threads_setting_belongs_to_its_thread(two_threads):
    # what lets concurrent fits each restore their own setting
    seen = {}

    def worker():
        with torch_threads(1):
            seen["inside"] = torch.get_num_threads()
            event.wait(5)
        seen["after"] = torch.get_num_threads()

    event = threading.Event()
    thread = threading.Thread(target=worker)
    thread.start()
    while "inside" not in seen and thread.is_alive():
        pass
    main_during = torch.get_num_threads()
    event.set()
    thread.join()
    assert seen == {"inside": 1, "after": 2}
    assert main_during == 2


def test_parallel_jobs_share_the_cores():
    # joblib's process workers each get cpu_count // n_jobs threads, and skae never exceeds it
    images = np.random.default_rng(0).random((128, 1, 28, 28), dtype=np.float32)
    conv = ConvAutoencoder(4, filters=(16, 32), max_iter=1, batch_size=64, random_state=0)
    flops = conv.fit(images).net_.sample_flops_ * 64
    result = cross_validate(
        conv.set_params(callbacks=[_ThreadRecorder()]),
        images,
        cv=2,
        n_jobs=2,
        return_estimator=True,
    )
    expected = min(max(1, joblib.cpu_count() // 2), int(flops // MIN_FLOPS_PER_THREAD))
    assert [_recorded_threads(ae) for ae in result["estimator"]] == [expected, expected]


@pytest.mark.parametrize(
    "network, n_features",
    [
        (lambda: DenseAutoencoderNetwork(20, 8, (64, 32), "relu"), 20),
        (lambda: ConvAutoencoderNetwork((1, 28, 28), 32, (32, 64), 3, "relu"), 784),
        (lambda: ConvAutoencoderNetwork((3, 16, 16), 8, (8,), 5, "relu"), 768),
        (
            lambda: VariationalAutoencoderNetwork.convolutional((1, 28, 28), 4, (8, 16), 3, "relu"),
            784,
        ),
    ],
)
def test_flops_are_counted_as_torchs_flop_counter_counts_them(network, n_features):
    module, sample = network(), torch.zeros(1, n_features)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        module.decode(module.encode(sample))
    module.train()
    assert count_flops(module, sample) == counter.get_total_flops() > 0
    assert module.training
