"""Behaviour of EncoderDecoderRegressor: layouts, learning a mapping, R², pipelines, errors."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skae import EncoderDecoderRegressor
from skae.networks import ConvAutoencoderNetwork

FAST = dict(filters=(4, 8), max_iter=3, random_state=0)


@pytest.fixture(scope="module")
def images(digits):
    X, _ = digits
    X = X[:300] / X.max()  # pixels in [0, 1]
    return X.reshape(-1, 8, 8).astype(np.float32)


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 6))
    Y = np.tanh(X @ rng.normal(size=(6, 3)))
    return X, Y


def blur(images):
    """A fixed 3 x 3 box blur: a mapping a model can learn and the mean can not."""
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1)))
    h, w = images.shape[1:]
    return sum(padded[:, i : i + h, j : j + w] for i in range(3) for j in range(3)) / 9


@pytest.mark.parametrize(
    "make_y, shape",
    [
        (lambda im: im, (8, 8)),
        (lambda im: np.stack([im, im**2, 1 - im], 1), (3, 8, 8)),  # 1 -> 3 channels
        (lambda im: np.kron(im, np.ones((2, 2))), (16, 16)),  # 8 x 8 -> 16 x 16
        (lambda im: im.reshape(-1, 4, 2, 4, 2).mean((2, 4)), (4, 4)),  # 8 x 8 -> 4 x 4
        (lambda im: im.reshape(len(im), -1)[:, :5], (5,)),  # images -> a table
        (lambda im: im[:, 0, 0], ()),  # images -> one target
    ],
)
def test_predict_returns_the_layout_of_y(images, make_y, shape):
    Y = make_y(images)
    model = EncoderDecoderRegressor(4, **FAST).fit(images, Y)
    assert model.predict(images[:7]).shape == (7, *shape)
    assert model.transform(images[:7]).shape == (7, 4)
    assert model.n_targets_ == int(np.prod(shape, dtype=int))
    assert model.skip_connections_ == (len(shape) >= 2)


def test_flattened_rows_with_shapes_train_the_same_model(images):
    Y = np.stack([images, 1 - images], 1)
    a = EncoderDecoderRegressor(4, **FAST).fit(images, Y)
    b = EncoderDecoderRegressor(4, image_shape=(1, 8, 8), target_shape=(2, 8, 8), **FAST)
    b.fit(images.reshape(300, -1), Y.reshape(300, -1))
    assert b.predict(images.reshape(300, -1)).shape == (300, 128)  # the layout fit was given
    np.testing.assert_array_equal(a.predict(images).reshape(300, -1), b.predict(images))


def test_a_table_maps_to_images(table, images):
    X, _ = table
    model = EncoderDecoderRegressor(4, **FAST).fit(X, images)
    assert model.image_shape_ is None and model.target_shape_ == (1, 8, 8)
    assert model.predict(X[:3]).shape == (3, 8, 8)


def test_a_blur_is_learned_better_than_the_mean(images):
    Y = blur(images)
    train, test = slice(0, 240), slice(240, None)
    model = EncoderDecoderRegressor(filters=(8,), max_iter=60, random_state=0)
    model.fit(images[train], Y[train])
    mse = np.mean((model.predict(images[test]) - Y[test]) ** 2)
    mean = np.mean((Y[train].mean(0) - Y[test]) ** 2)
    assert mse < 0.7 * mean


def test_a_table_mapping_is_learned_and_scored_with_r2(table):
    X, Y = table
    model = EncoderDecoderRegressor(max_iter=150, random_state=0).fit(X[:240], Y[:240])
    score = model.score(X[240:], Y[240:])
    assert 0.8 < score <= 1
    from sklearn.metrics import r2_score

    assert score == pytest.approx(r2_score(Y[240:], model.predict(X[240:])))
    one = EncoderDecoderRegressor(max_iter=150, random_state=0).fit(X[:240], Y[:240, 0])
    assert one.predict(X[240:]).shape == (60,)
    assert one.score(X[240:], Y[240:, 0]) > 0.8


def test_image_score_is_r2_over_every_pixel(images):
    from sklearn.metrics import r2_score

    Y = blur(images)
    model = EncoderDecoderRegressor(**FAST).fit(images, Y)
    expected = r2_score(Y.reshape(300, -1), model.predict(images).reshape(300, -1))
    assert model.score(images, Y) == pytest.approx(expected)


def test_loss_auto_follows_the_targets(table, images):
    X, Y = table
    assert EncoderDecoderRegressor(**FAST).fit(images, blur(images)).loss_ == "bce"
    assert EncoderDecoderRegressor(**FAST).fit(images, Y).loss_ == "mse"  # y outside [0, 1]
    assert EncoderDecoderRegressor(**FAST).fit(X, (Y + 1) / 2).loss_ == "bce"  # X is not in it


def test_skip_connections_change_the_network(images):
    plain = EncoderDecoderRegressor(4, skip_connections=False, **FAST).fit(images, images)
    unet = EncoderDecoderRegressor(4, **FAST).fit(images, images)
    assert not plain.skip_connections_ and unet.skip_connections_
    assert not plain.net_.module_.skip_connections and unet.net_.module_.skip_connections
    assert not np.allclose(plain.predict(images), unet.predict(images))


def test_skip_connections_reach_the_output():
    """Changing the input changes a U-Net's output through the skips alone."""
    import torch

    net = ConvAutoencoderNetwork((1, 8, 8), 2, (4,), skip_connections=True).eval()
    x = torch.rand(1, 64)
    y = x.clone()
    y[0, 0] += 1
    with torch.no_grad():
        net.encoder[-1].weight.zero_()  # the code no longer depends on the input
        net.encoder[-1].bias.zero_()
        out_x, code_x = net(x)
        out_y, code_y = net(y)
    assert torch.equal(code_x, code_y) and not torch.equal(out_x, out_y)
    with pytest.raises(ValueError, match="forward"):
        net.decode(code_x)


def test_missing_values(table):
    X, Y = table
    X, Y = X.copy(), Y.copy()
    X[::4, 1] = np.nan
    Y[::3, 2] = np.nan
    model = EncoderDecoderRegressor(max_iter=5, random_state=0).fit(X, Y)
    assert np.isfinite(model.predict(X)).all() and np.isfinite(model.transform(X)).all()
    Y[5] = np.nan
    with pytest.raises(ValueError, match=r"y has 1 row\(s\) with no observed value"):
        EncoderDecoderRegressor(max_iter=5).fit(X, Y)


def test_missing_targets_leave_the_loss(table):
    """The training loss against targets with NaN is the error over the observed ones."""
    import torch

    X, Y = table
    Y = Y.copy()
    Y[::3, 2] = np.nan
    model = EncoderDecoderRegressor(max_iter=3, random_state=0).fit(X, Y)
    assert model.net_.masked_loss_
    rows = torch.as_tensor(X, dtype=torch.float32)
    targets = torch.as_tensor(Y, dtype=torch.float32)
    with torch.no_grad():
        output = model.net_.module_(rows)
        loss = model.net_.get_loss(output, targets, X=rows).item()
    observed = ~np.isnan(Y)
    by_hand = np.mean((output[0].numpy() - Y)[observed] ** 2)
    assert loss == pytest.approx(by_hand, rel=1e-5)
    assert np.isfinite(model.loss_curve_).all()


def test_determinism_persistence_and_clone(images):
    Y = blur(images)
    a = EncoderDecoderRegressor(**FAST).fit(images, Y)
    b = EncoderDecoderRegressor(**FAST).fit(images, Y)
    np.testing.assert_array_equal(a.predict(images), b.predict(images))
    loaded = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(a.predict(images), loaded.predict(images))
    np.testing.assert_array_equal(a.transform(images), loaded.transform(images))
    assert clone(a).get_params() == a.get_params()


def test_warm_start_and_partial_fit_continue(images):
    Y = blur(images)
    model = EncoderDecoderRegressor(warm_start=True, **FAST).fit(images, Y)
    model.fit(images, Y)
    assert model.n_iter_ == 6
    streamed = EncoderDecoderRegressor(**FAST)
    for start in range(0, 300, 100):
        streamed.partial_fit(images[start : start + 100], Y[start : start + 100])
    assert streamed.n_iter_ == 3
    with pytest.raises(ValueError, match="fitted on targets of shape"):
        streamed.partial_fit(images, Y[:, :4])


def test_early_stopping_holds_out_pairs(images):
    Y = blur(images)
    model = EncoderDecoderRegressor(early_stopping=True, **FAST).fit(images, Y)
    assert len(model.validation_scores_) == model.n_iter_


def test_pipeline_search_and_transformed_target(table):
    X, Y = table
    pipe = make_pipeline(StandardScaler(), EncoderDecoderRegressor(max_iter=20, random_state=0))
    assert pipe.fit(X, Y).predict(X).shape == Y.shape
    search = GridSearchCV(
        EncoderDecoderRegressor(max_iter=10, random_state=0),
        {"n_components": [2, 4]},
        cv=2,
        scoring="neg_mean_squared_error",
    ).fit(X, Y)
    assert search.best_params_["n_components"] in (2, 4)
    wrapped = TransformedTargetRegressor(
        EncoderDecoderRegressor(max_iter=20, random_state=0), transformer=StandardScaler()
    ).fit(X, Y * 100)
    assert wrapped.predict(X).shape == Y.shape


def test_dataframes_in(table):
    X, Y = table
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    targets = pd.DataFrame(Y, columns=["a", "b", "c"])
    model = EncoderDecoderRegressor(max_iter=5, random_state=0).fit(frame, targets)
    assert list(model.feature_names_in_) == list(frame.columns)
    assert model.predict(frame).shape == (300, 3)
    assert model.get_feature_names_out()[0] == "encoderdecoderregressor0"
    series = EncoderDecoderRegressor(max_iter=5, random_state=0).fit(frame, targets["a"])
    assert series.predict(frame).shape == (300,)


@pytest.mark.parametrize(
    "params, X_, Y_, error, match",
    [
        ({}, "X", None, ValueError, "requires y to be passed"),
        ({}, "X", "short", ValueError, "X and y must have the same number of samples"),
        ({"loss": "bce"}, "X", "Y", ValueError, r"needs y in \[0, 1\]"),
        ({}, "X", "inf", ValueError, "Input y contains infinity"),
        ({}, "X", "strings", TypeError, "y has non-numeric values"),
        ({}, "X", "5d", ValueError, "y must be 1-D or 2-D targets, or images"),
        ({"skip_connections": True}, "X", "Y", ValueError, "needs images on both sides"),
        ({"target_shape": (1, 2, 2)}, "X", "Y", ValueError, "needs y of 4 values per sample"),
        ({"target_shape": (1, 2)}, "X", "Y", ValueError, "target_shape must be"),
        ({"target_shape": (1, 2, 2)}, "X", "1d", ValueError, "describes image targets"),
        ({"target_shape": (1, 4, 4)}, "X", "images", ValueError, "does not match the images"),
        ({}, "X", "nan column", ValueError, "column"),
        ({}, "X", "huge", ValueError, "beyond float32"),
    ],
)
def test_bad_targets_are_refused_before_training(table, params, X_, Y_, error, match):
    X, Y = table
    targets = {
        None: None,
        "Y": Y,
        "short": Y[:10],
        "1d": Y[:, 0],
        "inf": np.where(np.arange(Y.size).reshape(Y.shape) == 4, np.inf, Y),
        "strings": np.full((300, 2), "a"),
        "5d": np.zeros((300, 1, 1, 1, 1)),
        "images": np.zeros((300, 8, 8)),
        "nan column": np.column_stack([Y, np.full(300, np.nan)]),
        "huge": Y * 1e300,
    }[Y_]
    model = EncoderDecoderRegressor(max_iter=1, **params)
    with pytest.raises(error, match=match):
        model.fit(X, targets)
    assert not hasattr(model, "net_") and not hasattr(model, "n_features_in_")


def test_a_failed_refit_changes_nothing(table):
    X, Y = table
    model = EncoderDecoderRegressor(max_iter=3, random_state=0).fit(X, Y)
    before = model.predict(X)
    with pytest.raises(ValueError, match="same number of samples"):
        model.fit(X, Y[:5])
    np.testing.assert_array_equal(model.predict(X), before)
    with pytest.raises(ValueError, match="fitted on targets of shape"):
        model.score(X, Y[:, :2])
    with pytest.raises(ValueError, match="same number of samples"):
        model.score(X, Y[:10])
