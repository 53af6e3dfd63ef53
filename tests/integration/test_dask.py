"""Hyperparameter search on a real dask.distributed cluster of 2 worker processes."""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV

from skae import Autoencoder

distributed = pytest.importorskip("distributed")
joblib = pytest.importorskip("joblib")

GRID = {"n_components": [2, 4], "alpha": [1e-4, 1e-1]}


def _torch_threads():
    import torch

    return torch.get_num_threads()


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=40,
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def _search(n_jobs):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3)) @ rng.normal(size=(3, 8)) + 0.1 * rng.normal(size=(300, 8))
    estimator = Autoencoder(
        hidden_layer_sizes=(16,), max_iter=8, outlier_score="reconstruction", random_state=0
    )
    search = GridSearchCV(estimator, GRID, cv=3, n_jobs=n_jobs)
    return search.fit(X)


def test_grid_search_runs_on_the_workers_and_finds_the_local_best(client):
    local = _search(n_jobs=1)
    with distributed.get_task_stream(client) as tasks, joblib.parallel_backend("dask"):
        remote = _search(n_jobs=-1)
    workers = {task["worker"] for task in tasks.data}
    assert workers == set(client.scheduler_info()["workers"])
    assert len(tasks.data) >= 12  # 4 settings x 3 folds
    assert remote.best_params_ == local.best_params_
    np.testing.assert_allclose(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"], rtol=1e-5
    )
    # the refit happens in this process; the fitted model works here
    assert remote.best_estimator_.transform(np.zeros((2, 8))).shape == (
        2,
        remote.best_params_["n_components"],
    )


def test_each_worker_runs_torch_on_one_thread_per_task(client):
    # dask's nanny starts workers with OMP_NUM_THREADS=1, which torch follows:
    # 2 single-threaded workers use the 2 cores without oversubscribing them
    threads = client.run(_torch_threads)
    assert set(threads.values()) == {1}
