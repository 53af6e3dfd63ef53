"""A call that raises leaves the estimator as it was: fit, refit, partial_fit, fit_stream."""

import pickle

import numpy as np
import pytest
import torch
from _helpers import VARIANTS
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback

import skae
from skae import Autoencoder, DenoisingAutoencoder, fit_stream


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(0).normal(size=(80, 5))


class Raise(Callback):
    """Raises ``error`` at ``hook`` (on the batch or epoch whose count is ``at``)."""

    def __init__(self, error, hook="on_epoch_end", at=1):
        self.error = error
        self.hook = hook
        self.at = at

    def initialize(self):
        self.calls_ = 0
        return super().initialize()

    def _maybe_raise(self):
        self.calls_ += 1
        if self.calls_ == self.at:
            raise self.error

    def on_epoch_end(self, net, **kwargs):
        if self.hook == "on_epoch_end":
            self._maybe_raise()

    def on_batch_end(self, net, training=False, **kwargs):
        if self.hook == "on_batch_end" and training:
            self._maybe_raise()


def state(est, X):
    """Everything a user can see of ``est``, bit for bit."""
    snapshot = {"attributes": sorted(vars(est)), "pickle": pickle.dumps(est.get_params())}
    if hasattr(est, "net_"):
        snapshot["net"] = est.net_
        snapshot["weights"] = [p.detach().clone() for p in est.net_.module_.parameters()]
        snapshot["offset"] = est.offset_
        snapshot["scores"] = est.score_samples(X)
        snapshot["codes"] = est.transform(X)
        snapshot["history"] = len(est.net_.history)
    return snapshot


def assert_unchanged(est, before, X, same_net=True):
    after = state(est, X)
    assert after["attributes"] == before["attributes"]
    if "net" not in before:
        with pytest.raises(NotFittedError):
            check_is_fitted(est)
        return
    assert after["net"] is before["net"] or not same_net
    for got, expected in zip(after["weights"], before["weights"]):
        assert torch.equal(got, expected)
    assert after["offset"] == before["offset"]
    assert after["history"] == before["history"]
    np.testing.assert_array_equal(after["scores"], before["scores"])
    np.testing.assert_array_equal(after["codes"], before["codes"])


@pytest.fixture
def fitted(X):
    return Autoencoder(2, max_iter=5, random_state=0).fit(X)


def test_a_refit_with_a_loss_out_of_range_changes_nothing(fitted, X):
    before = state(fitted, X)
    with pytest.raises(ValueError, match=r"loss='bce' needs X in \[0, 1\]"):
        fitted.set_params(loss="bce").fit(X)
    fitted.set_params(loss="auto")
    assert_unchanged(fitted, before, X)


def test_a_refit_with_a_bad_callback_on_other_data_changes_nothing(fitted, X):
    before = state(fitted, X)
    wider = np.hstack([X, X[:, :1]])
    with pytest.raises(TypeError, match=r"callbacks must hold skorch callbacks.*item 0 is 1"):
        fitted.set_params(callbacks=[1]).fit(wider)
    fitted.set_params(callbacks=None)
    assert fitted.n_features_in_ == 5
    assert_unchanged(fitted, before, X)


def test_a_callback_may_not_take_a_name_skae_uses(X):
    est = Autoencoder(2, max_iter=2, callbacks=[("stopping", Raise(RuntimeError))])
    with pytest.raises(ValueError, match="named 'stopping', a name skae uses"):
        est.fit(X)


@pytest.mark.parametrize(
    "make, data, error, match",
    [
        (lambda: Autoencoder(loss="bce"), "X", ValueError, "needs X in"),
        (lambda: Autoencoder(callbacks=[1]), "X", TypeError, "callbacks must hold"),
        (
            lambda: DenoisingAutoencoder(noise="masking", noise_level=1.5),
            "X",
            ValueError,
            "noise_level is the probability",
        ),
        (lambda: Autoencoder(early_stopping=True), "row", ValueError, "at least 2"),
        (
            lambda: Autoencoder(callbacks=[Raise(RuntimeError("boom"))]),
            "X",
            RuntimeError,
            "boom",
        ),
        (lambda: skae.ConvAutoencoder(kernel_size=2), "X", ValueError, "kernel_size must"),
        (lambda: skae.ConvAutoencoder(filters=()), "X", ValueError, "filters must"),
        (lambda: skae.ConvAutoencoder(image_shape=(1, 2, 2)), "X", ValueError, "image_shape="),
    ],
    ids=["bce", "callbacks", "noise_level", "one_row", "raising_callback", "kernel", "filters",
         "image_shape"],
)  # fmt: skip
def test_a_failed_first_fit_leaves_the_estimator_unfitted(make, data, error, match, X):
    est = make()
    before = state(est, X)
    with pytest.raises(error, match=match):
        est.fit(X if data == "X" else X[:1])
    assert_unchanged(est, before, X)
    with pytest.raises(NotFittedError):
        est.transform(X)


@pytest.mark.parametrize("cls", VARIANTS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("hook", ["on_batch_end", "on_epoch_end"])
def test_a_callback_raising_in_a_refit_changes_nothing(cls, hook, X):
    est = cls(2, max_iter=3, batch_size=16, random_state=0).fit(X)
    before = state(est, X)
    est.set_params(callbacks=[Raise(RuntimeError("boom"), hook=hook, at=2)])
    with pytest.raises(RuntimeError, match="boom"):
        est.fit(X)
    est.set_params(callbacks=None)
    assert_unchanged(est, before, X)


@pytest.mark.parametrize("warm_start", [False, True])
def test_ctrl_c_before_the_first_complete_epoch_changes_nothing(fitted, X, warm_start):
    fitted.set_params(warm_start=warm_start)
    before = state(fitted, X)
    fitted.set_params(callbacks=[Raise(KeyboardInterrupt, hook="on_batch_end", at=1)])
    with pytest.raises(KeyboardInterrupt):
        fitted.fit(X)
    fitted.set_params(callbacks=None)
    assert_unchanged(fitted, before, X)


def test_ctrl_c_in_a_first_fit_leaves_it_unfitted(X):
    est = Autoencoder(2, callbacks=[Raise(KeyboardInterrupt, hook="on_batch_end", at=1)])
    with pytest.raises(KeyboardInterrupt):
        est.fit(X)
    with pytest.raises(NotFittedError):
        check_is_fitted(est)


@pytest.mark.parametrize("cls", VARIANTS, ids=lambda c: c.__name__)
def test_a_failed_partial_fit_changes_nothing(cls, X):
    est = cls(2, batch_size=16, random_state=0).partial_fit(X)
    before = state(est, X)
    with pytest.raises(ValueError, match="features"):
        est.partial_fit(np.hstack([X, X]))
    est.set_params(callbacks=[Raise(RuntimeError("boom"), hook="on_batch_end", at=2)])
    with pytest.raises(RuntimeError, match="boom"):
        est.partial_fit(X)
    est.set_params(callbacks=None)
    assert_unchanged(est, before, X)
    # and it trains on from where it was, as if nothing had happened
    again = cls(2, batch_size=16, random_state=0).partial_fit(X).partial_fit(X)
    np.testing.assert_array_equal(est.partial_fit(X).transform(X), again.transform(X))


def test_the_outlier_score_is_the_one_fitted(X):
    est = Autoencoder(2, max_iter=3, outlier_score="reconstruction", random_state=0).fit(X)
    scores = est.score_samples(X)
    est.set_params(outlier_score="hybrid")
    np.testing.assert_array_equal(est.score_samples(X), scores)
    assert est.outlier_score_ == "reconstruction"
    est.fit(X)
    assert est.outlier_score_ == "hybrid"
    assert hasattr(est, "outlier_stats_")
    est.set_params(outlier_score="reconstruction").fit(X)
    assert not hasattr(est, "outlier_stats_")
    np.testing.assert_array_equal(est.score_samples(X), scores)


# ----------------------------------------------------------------------
# Streams


def _chunks_then(error, X, at):
    def source():
        for i, start in enumerate(range(0, len(X), 20)):
            if i == at:
                raise error
            yield X[start : start + 20]

    return source


@pytest.fixture(params=["unfitted", "fitted"])
def streamed(request, X):
    est = Autoencoder(2, random_state=0)
    if request.param == "fitted":
        fit_stream(est, X, chunk_size=20)
    return est


@pytest.mark.parametrize(
    "make_error, match",
    [(lambda: OSError("disk"), "disk"), (lambda: RuntimeError("parse"), "parse")],
    ids=["reader_raises", "reader_fails"],
)
def test_a_stream_failing_midway_changes_nothing_and_says_where(streamed, X, make_error, match):
    error = make_error()
    before = state(streamed, X)
    with pytest.raises(type(error), match=match) as info:
        fit_stream(streamed, _chunks_then(error, X, at=2), n_epochs=2)
    notes = " ".join(getattr(info.value, "__notes__", []))
    assert "fit_stream stopped in pass 1 of 2, at chunk 3" in notes
    assert_unchanged(streamed, before, X, same_net=False)


def test_a_stream_changing_width_changes_nothing(streamed, X):
    before = state(streamed, X)

    def source():
        yield X[:40]
        yield np.hstack([X[40:], X[40:]])

    with pytest.raises(ValueError, match="features") as info:
        fit_stream(streamed, source)
    assert "at chunk 2" in " ".join(info.value.__notes__)
    assert_unchanged(streamed, before, X, same_net=False)


def test_a_truncated_npy_file_changes_nothing(streamed, X, tmp_path):
    path = tmp_path / "X.npy"
    np.save(path, X)
    path.write_bytes(path.read_bytes()[:-100])
    before = state(streamed, X)
    with pytest.raises(ValueError, match="ends before its header's 80 rows"):
        fit_stream(streamed, path, chunk_size=20)
    assert_unchanged(streamed, before, X, same_net=False)


@pytest.mark.parametrize(
    "make",
    [
        lambda: __import__("sklearn.decomposition").decomposition.IncrementalPCA(2),
        lambda: __import__("sklearn.cluster").cluster.MiniBatchKMeans(3, random_state=0),
        lambda: __import__("sklearn.linear_model").linear_model.SGDOneClassSVM(random_state=0),
    ],
    ids=["IncrementalPCA", "MiniBatchKMeans", "SGDOneClassSVM"],
)
def test_any_estimator_with_partial_fit_streams(make, X):
    streamed = fit_stream(make(), X, chunk_size=20, n_epochs=2)
    by_hand = make()
    for _ in range(2):
        for start in range(0, len(X), 20):
            by_hand.partial_fit(X[start : start + 20])
    for name in ("components_", "cluster_centers_", "coef_"):
        if hasattr(by_hand, name):
            np.testing.assert_array_equal(getattr(streamed, name), getattr(by_hand, name))


def test_a_scikit_learn_stream_failing_midway_is_put_back(X):
    from sklearn.cluster import MiniBatchKMeans

    est = fit_stream(MiniBatchKMeans(3, random_state=0), X, chunk_size=20)
    centers = est.cluster_centers_.copy()
    with pytest.raises(OSError):
        fit_stream(est, _chunks_then(OSError("disk"), X, at=2))
    np.testing.assert_array_equal(est.cluster_centers_, centers)
