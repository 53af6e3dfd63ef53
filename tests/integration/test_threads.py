"""skae uses the torch thread count it is given and does not oversubscribe under n_jobs."""

import joblib
import numpy as np
import pytest
import torch
from sklearn.model_selection import cross_validate
from skorch.callbacks import Callback

from skae import Autoencoder


class _ThreadRecorder(Callback):
    def on_train_begin(self, net, **kwargs):
        self.threads = torch.get_num_threads()


def _recorded_threads(ae):
    return dict(ae.net_.callbacks_)["_ThreadRecorder"].threads


@pytest.fixture
def X():
    return np.random.default_rng(0).normal(size=(60, 5))


def test_fit_trains_with_the_process_thread_setting(X):
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        ae = Autoencoder(2, max_iter=2, callbacks=[_ThreadRecorder()], random_state=0).fit(X)
        assert _recorded_threads(ae) == 1
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_parallel_jobs_share_the_cores(X):
    # joblib's process workers each get cpu_count // n_jobs threads, and torch follows
    result = cross_validate(
        Autoencoder(2, max_iter=2, callbacks=[_ThreadRecorder()], random_state=0),
        X,
        cv=2,
        n_jobs=2,
        return_estimator=True,
    )
    expected = max(1, joblib.cpu_count() // 2)
    assert [_recorded_threads(ae) for ae in result["estimator"]] == [expected, expected]
