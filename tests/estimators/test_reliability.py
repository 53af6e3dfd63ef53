"""Reliability: divergence, interruption and determinism (seeds, threads, processes)."""

from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import pytest
import torch
from _helpers import VARIANTS, global_random_state_untouched
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from skorch.callbacks import Callback

from skae import Autoencoder, ConvAutoencoder, VariationalAutoencoder


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(0).normal(size=(96, 6))


class After(Callback):
    """Runs ``action(net)`` at the end of epoch ``epoch`` of the net's history."""

    def __init__(self, epoch, action):
        self.epoch = epoch
        self.action = action

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            self.action(net)


def explode(net):
    for group in net.optimizer_.param_groups:
        group["lr"] = 1e12


def interrupt(net):
    raise KeyboardInterrupt


def outputs(est, X):
    return est.transform(X), est.score_samples(X), est.inverse_transform(est.transform(X))


@pytest.mark.parametrize("cls", VARIANTS, ids=lambda c: c.__name__)
def test_divergence_restores_the_last_finite_weights_and_warns(cls, X):
    params = dict(n_components=2, max_iter=10, batch_size=16, random_state=0)
    diverging = cls(**params, callbacks=[After(3, explode)])
    with pytest.warns(RuntimeWarning, match=r"diverged.*learning_rate_init.*after epoch 3"):
        diverging.fit(X)
    for output in outputs(diverging, X):
        assert np.isfinite(output).all()
    # the weights are those of three epochs, bit for bit
    three_epochs = cls(**{**params, "max_iter": 3}).fit(X)
    for got, expected in zip(outputs(diverging, X), outputs(three_epochs, X)):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("cls", [Autoencoder, VariationalAutoencoder], ids=lambda c: c.__name__)
def test_divergence_in_the_first_epoch_raises_a_clear_error(cls, X):
    est = cls(2, learning_rate_init=1e12, max_iter=5, batch_size=16, random_state=0)
    with pytest.raises(ValueError, match=r"diverged.*learning_rate_init=1e\+12"):
        est.fit(X)
    with pytest.raises(NotFittedError):
        est.transform(X)


def test_a_diverging_warm_start_keeps_the_previous_fit(X):
    ae = Autoencoder(2, max_iter=4, batch_size=16, random_state=0, warm_start=True).fit(X)
    before = outputs(ae, X)
    ae.set_params(learning_rate_init=1e12)
    with pytest.warns(RuntimeWarning, match="after epoch 0 of this call"):
        ae.fit(X)
    for got, expected in zip(outputs(ae, X), before):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("cls", VARIANTS, ids=lambda c: c.__name__)
def test_keyboard_interrupt_leaves_a_fitted_estimator_and_warns(cls, X):
    est = cls(2, max_iter=50, batch_size=16, random_state=0, callbacks=[After(3, interrupt)])
    with pytest.warns(UserWarning, match=r"interrupted.*after 3 complete epoch"):
        est.fit(X)
    assert est.n_iter_ == 3
    assert len(est.loss_curve_) == 3
    for output in outputs(est, X):
        assert np.isfinite(output).all()
    assert set(np.unique(est.predict(X))) <= {-1, 1}


def test_an_interrupted_fit_can_go_on(X):
    ae = Autoencoder(2, max_iter=5, batch_size=16, random_state=0, warm_start=True)
    ae.set_params(callbacks=[After(2, interrupt)])
    with pytest.warns(UserWarning, match="interrupted"):
        ae.fit(X)
    ae.set_params(callbacks=None)
    ae.fit(X)
    assert ae.n_iter_ == 2 + 5


def fit_outputs(cls, X, seed):
    est = cls(2, max_iter=3, batch_size=16, random_state=seed).fit(X)
    return outputs(est, X)


@pytest.mark.parametrize("cls", VARIANTS, ids=lambda c: c.__name__)
def test_same_seed_same_bits_and_global_random_states_untouched(cls, X):
    with global_random_state_untouched():
        first = cls(2, max_iter=3, batch_size=16, random_state=7).fit(X)
        second = clone(first).fit(X)
        third = cls(2, max_iter=3, batch_size=16, random_state=7).fit(X)
        for a, b, c in zip(outputs(first, X), outputs(second, X), outputs(third, X)):
            np.testing.assert_array_equal(a, b)
            np.testing.assert_array_equal(a, c)


def test_fits_in_parallel_threads_match_fits_in_sequence(X):
    jobs = [(cls, seed) for cls in VARIANTS for seed in (0, 1)]
    sequential = [fit_outputs(cls, X, seed) for cls, seed in jobs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(lambda job: fit_outputs(job[0], X, job[1]), jobs))
    for seq, par in zip(sequential, threaded):
        for a, b in zip(seq, par):
            np.testing.assert_array_equal(a, b)


def test_fits_in_joblib_processes_match_fits_in_sequence(X):
    jobs = [(cls, seed) for cls in (Autoencoder, VariationalAutoencoder) for seed in (0, 1)]
    # joblib's workers run torch with cpu_count // n_jobs threads; the order of float32
    # sums (hence the last bits) depends on the thread count, so compare at the same one
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(max(1, joblib.cpu_count() // 2))
        sequential = [fit_outputs(cls, X, seed) for cls, seed in jobs]
    finally:
        torch.set_num_threads(before)
    in_processes = Parallel(n_jobs=2)(delayed(fit_outputs)(cls, X, seed) for cls, seed in jobs)
    for seq, par in zip(sequential, in_processes):
        for a, b in zip(seq, par):
            np.testing.assert_array_equal(a, b)


def test_a_loss_that_explodes_but_stays_finite_is_divergence(X):
    # learning_rate_init=1e3: the loss climbs to about 1e26 within the first epoch, finite
    est = Autoencoder(2, max_iter=5, learning_rate_init=1e3, batch_size=16, random_state=0)
    with pytest.raises(ValueError, match=r"diverged.*exploded.*learning_rate_init=1000"):
        est.fit(X)
    assert not hasattr(est, "net_")


@pytest.mark.parametrize("cls", VARIANTS, ids=lambda c: c.__name__)
def test_an_exploding_loss_after_some_epochs_restores_the_weights(cls, X):
    def overshoot(net):
        for group in net.optimizer_.param_groups:
            group["lr"] = 1e4  # large enough to explode, small enough to stay finite a while

    params = dict(n_components=2, max_iter=8, batch_size=16, random_state=0)
    with pytest.warns(RuntimeWarning, match=r"diverged.*exploded.*after epoch 3"):
        exploded = cls(**params, callbacks=[After(3, overshoot)]).fit(X)
    three_epochs = cls(**{**params, "max_iter": 3}).fit(X)
    for got, expected in zip(outputs(exploded, X), outputs(three_epochs, X)):
        np.testing.assert_array_equal(got, expected)
    assert max(exploded.loss_curve_) < 1e3 * exploded.loss_curve_[0]


@pytest.mark.parametrize("scale", [1e-6, 1e6])
def test_the_explosion_limit_is_relative_to_the_data(scale, recwarn):
    # losses 1e12 times smaller or larger than on standardised data: no false alarm
    X = np.random.default_rng(0).normal(size=(96, 6)) * scale
    est = Autoencoder(2, max_iter=30, batch_size=16, random_state=0, tol=0.0).fit(X)
    assert est.n_iter_ == 30
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_a_single_ruinous_step_is_caught_at_the_end_of_the_call():
    # one batch per partial_fit: its loss vouches for the weights before the step, so the
    # weights after it are checked on the training rows before the call returns
    images = np.random.default_rng(0).uniform(size=(40, 1, 8, 8)).astype(np.float32)
    conv = ConvAutoencoder(max_iter=3, filters=(4,), random_state=0, tol=0.0).fit(images)
    before = conv.transform(images), conv.n_iter_, list(conv.loss_curve_)
    conv.set_params(learning_rate_init=1e6)
    with pytest.warns(RuntimeWarning, match=r"diverged.*exploded"):
        conv.partial_fit(images)
    np.testing.assert_array_equal(conv.transform(images), before[0])
    assert (conv.n_iter_, conv.loss_curve_) == before[1:]
    assert len(conv.net_.history) == 3


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_extreme_training_row_is_not_divergence(seed, recwarn):
    X = np.random.default_rng(0).normal(size=(1000, 4))
    X[700, 2] = 1e5  # its batch's loss is far above the others, once per epoch
    Autoencoder(2, loss="mse", max_iter=3, random_state=seed).fit(X)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_training_on_from_a_tiny_loss_is_not_divergence(X, recwarn):
    flat = np.zeros((64, 6))
    ae = Autoencoder(
        2, loss="mse", max_iter=300, tol=0.0, n_iter_no_change=300, alpha=0.0, random_state=0
    )
    ae.fit(flat)
    assert ae.loss_curve_[-1] < 1e-3
    before = ae.n_iter_
    ae.partial_fit(X * 1e3)  # losses around 1e6: a billion times the last, but training is sane
    assert ae.n_iter_ == before + 1
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
