"""Round trips through pickle, joblib and clone give the same outputs."""

import io
import pickle

import joblib
import numpy as np
import pytest
import torch
from _helpers import VARIANTS
from sklearn.base import clone
from skorch.callbacks import Callback

from skae import Autoencoder


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(0).normal(size=(80, 5))


@pytest.fixture(
    scope="module",
    params=VARIANTS,
    ids=lambda cls: cls.__name__,
)
def fitted(request, X):
    return request.param(2, max_iter=10, contamination=0.1, random_state=0).fit(X)


def _outputs(ae, X):
    codes = ae.transform(X)
    return [
        codes,
        ae.inverse_transform(codes),
        ae.score_samples(X),
        ae.predict(X),
        ae.reconstruction_error(X, per_feature=True),
    ]


def _assert_same_outputs(a, b, X):
    for left, right in zip(_outputs(a, X), _outputs(b, X)):
        np.testing.assert_array_equal(left, right)


def test_pickle_round_trip(fitted, X):
    restored = pickle.loads(pickle.dumps(fitted))
    _assert_same_outputs(fitted, restored, X)
    assert restored.offset_ == fitted.offset_ and restored.loss_curve_ == fitted.loss_curve_


def test_joblib_round_trip(fitted, X):
    buffer = io.BytesIO()
    joblib.dump(fitted, buffer)
    buffer.seek(0)
    _assert_same_outputs(fitted, joblib.load(buffer), X)


def test_clone_and_refit_with_the_same_seed(fitted, X):
    twin = clone(fitted)
    assert not hasattr(twin, "net_")
    _assert_same_outputs(fitted, twin.fit(X), X)


def test_a_restored_model_keeps_training_like_the_original(fitted, X):
    restored = pickle.loads(pickle.dumps(fitted))
    original = pickle.loads(pickle.dumps(fitted))
    original.partial_fit(X)
    restored.partial_fit(X)
    assert restored.n_iter_ == fitted.n_iter_ + 1
    np.testing.assert_array_equal(original.transform(X), restored.transform(X))


def test_skops_round_trip_trusts_only_the_estimator_class(fitted, X, tmp_path):
    sio = pytest.importorskip("skops.io")
    path = tmp_path / "model.skops"
    sio.dump(fitted, path)
    cls = type(fitted)
    assert sio.get_untrusted_types(file=path) == [f"{cls.__module__}.{cls.__qualname__}"]
    restored = sio.load(path, trusted=[cls])
    _assert_same_outputs(fitted, restored, X)
    assert restored.offset_ == fitted.offset_ and restored.n_iter_ == fitted.n_iter_


class Logger(Callback):
    """A user's callback: a type skops has no reason to trust."""


def test_skops_refuses_a_file_with_an_unexpected_type(X, tmp_path):
    sio = pytest.importorskip("skops.io")
    path = tmp_path / "model.skops"
    sio.dump(Autoencoder(2, max_iter=2, random_state=0, callbacks=[Logger()]).fit(X), path)
    untrusted = sio.get_untrusted_types(file=path)
    assert "tests.test_persistence.Logger" in untrusted or any("Logger" in t for t in untrusted)
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException, match="Logger"):
        sio.load(path, trusted=[Autoencoder])


def test_a_model_saved_on_a_gpu_loads_on_the_cpu(fitted, X, monkeypatch):
    state = fitted.__getstate__()
    assert isinstance(state["net_"], dict)  # plain data, no torch objects
    state["net_"] = {**state["net_"], "device": "cuda:0"}
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    restored = type(fitted).__new__(type(fitted))
    with pytest.warns(UserWarning, match="saved on cuda:0.*loaded on the CPU"):
        restored.__setstate__(state)
    assert str(restored.net_.device) == "cpu"
    _assert_same_outputs(fitted, restored, X)


def test_the_saved_state_holds_no_torch_objects(fitted):
    def walk(value):
        if isinstance(value, dict):
            for item in value.values():
                yield from walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                yield from walk(item)
        else:
            yield value

    leaves = list(walk(fitted.__getstate__()["net_"]))
    assert not any(type(leaf).__module__.startswith("torch") for leaf in leaves)
    assert any(isinstance(leaf, np.ndarray) for leaf in leaves)


def test_skops_saves_a_model_trained_with_a_learning_rate_scheduler(X, tmp_path):
    sio = pytest.importorskip("skops.io")
    from skorch.callbacks import LRScheduler

    params = dict(max_iter=3, tol=0.0, random_state=0)
    model = Autoencoder(2, **params, callbacks=[LRScheduler(policy="StepLR", step_size=1)])
    model.fit(X)
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert not any(name.startswith("torch.optim.lr_scheduler.StepLR object") for name in untrusted)
    restored = sio.load(path, trusted=untrusted)
    _assert_same_outputs(model, restored, X)
    # training resumes with the schedule where it was, in both
    for est in (model, restored):
        est.set_params(warm_start=True, max_iter=2).fit(X)
    _assert_same_outputs(model, restored, X)
    lr = [est.net_.optimizer_.param_groups[0]["lr"] for est in (model, restored)]
    assert lr[0] == lr[1] < 1e-4  # the schedule acted, the same in both


@pytest.mark.parametrize(
    "change, match",
    [
        ({"hidden_layer_sizes": (10**12,)}, "saved weights do not fit"),
        ({"n_components_": 10**9}, "saved weights do not fit"),
        ({"hidden_layer_sizes": (-3,)}, "hidden_layer_sizes"),
        ({"learning_rate_init": -1.0}, "learning_rate_init"),
    ],
)
def test_a_tampered_file_is_refused_before_any_allocation(X, change, match):
    state = Autoencoder(2, max_iter=2, random_state=0).fit(X).__getstate__()
    state.update(change)
    restored = Autoencoder.__new__(Autoencoder)
    with pytest.raises(ValueError, match=match):
        restored.__setstate__(state)


def test_a_tampered_skops_file_is_refused(X, tmp_path):
    sio = pytest.importorskip("skops.io")
    model = Autoencoder(2, max_iter=2, random_state=0).fit(X)
    model.hidden_layer_sizes = (10**12,)  # 16 TB of float32 if it were built
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    with pytest.raises(ValueError, match="saved weights do not fit"):
        sio.load(path, trusted=[Autoencoder])


def test_a_model_saved_with_two_adam_groups_loads_its_weights_and_restarts_adam(X):
    model = Autoencoder(2, max_iter=3, random_state=0).fit(X)
    state = model.__getstate__()
    optimizer = state["net_"]["optimizer"]
    # the layout of skae's earlier files: the biases in a group of their own
    group = optimizer["param_groups"][0]
    n_params = len(group["params"])
    optimizer["param_groups"] = [
        {**group, "params": list(range(n_params // 2))},
        {**group, "params": list(range(n_params // 2, n_params))},
    ]
    restored = Autoencoder.__new__(Autoencoder)
    with pytest.warns(UserWarning, match="Adam's running averages start afresh"):
        restored.__setstate__(state)
    np.testing.assert_array_equal(restored.transform(X), model.transform(X))
    assert restored.net_.optimizer_.state_dict()["state"] == {}
    restored.partial_fit(X)
    assert np.isfinite(restored.transform(X)).all()
