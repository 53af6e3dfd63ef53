"""Behaviour of the dense Autoencoder: training, outputs, outlier API, state."""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from _helpers import global_random_state_untouched
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import train_test_split
from sklearn.utils._param_validation import InvalidParameterError
from skorch.callbacks import Callback

from skae import Autoencoder, ConvAutoencoder, DenoisingAutoencoder, VariationalAutoencoder
from skae.networks import ACTIVATIONS

FAST = dict(max_iter=5, hidden_layer_sizes=(16,), random_state=0)


# ---------------------------------------------------------------- quality


def test_beats_pca_on_held_out_digits(digits):
    X, _ = digits
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)
    pca = PCA(n_components=8).fit(X_train)
    pca_mse = np.mean((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2)
    ae = Autoencoder(n_components=8, random_state=0).fit(X_train)
    ae_mse = np.mean((ae.inverse_transform(ae.transform(X_test)) - X_test) ** 2)
    assert ae_mse < 0.9 * pca_mse


def test_training_lowers_the_loss(blobs):
    ae = Autoencoder(max_iter=30, learning_rate_init=1e-2, tol=0.0, random_state=0).fit(blobs)
    assert len(ae.loss_curve_) == ae.n_iter_ == 30
    assert ae.loss_curve_[-1] < 0.5 * ae.loss_curve_[0]


def test_linear_autoencoder_reaches_pca_error():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3)) @ rng.normal(size=(3, 8)) + 0.05 * rng.normal(size=(400, 8))
    pca = PCA(n_components=3).fit(X)
    pca_mse = np.mean((pca.inverse_transform(pca.transform(X)) - X) ** 2)
    ae = Autoencoder(
        3,
        hidden_layer_sizes=(),
        activation="identity",
        loss="mse",
        alpha=0.0,
        max_iter=300,
        learning_rate_init=1e-2,
        random_state=0,
    ).fit(X)
    assert np.mean(ae.reconstruction_error(X)) < 1.5 * pca_mse


# ---------------------------------------------------------------- outputs


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_outputs_keep_the_float_dtype(blobs, dtype):
    X = blobs.astype(dtype)
    ae = Autoencoder(3, **FAST).fit(X)
    codes = ae.transform(X)
    assert codes.shape == (120, 3) and codes.dtype == dtype
    reconstruction = ae.inverse_transform(codes)
    assert reconstruction.shape == (120, 6) and reconstruction.dtype == dtype
    assert ae.score_samples(X).dtype == dtype
    assert ae.reconstruction_error(X, per_feature=True).dtype == dtype


def test_integer_input_gives_float64(blobs):
    X = np.rint(blobs).astype(np.int64)
    ae = Autoencoder(2, **FAST).fit(X)
    assert ae.transform(X).dtype == np.float64


def test_fit_transform_equals_fit_then_transform(blobs):
    a = Autoencoder(3, **FAST).fit_transform(blobs)
    b = Autoencoder(3, **FAST).fit(blobs).transform(blobs)
    np.testing.assert_array_equal(a, b)


def test_outputs_do_not_depend_on_batching(blobs):
    ae = Autoencoder(3, **FAST).fit(blobs)
    for method in (ae.transform, ae.score_samples, ae.reconstruction_error):
        whole = method(blobs)
        pieces = np.concatenate([method(blobs[i : i + 7]) for i in range(0, 120, 7)])
        np.testing.assert_allclose(pieces, whole, rtol=1e-5, atol=1e-6)
        order = np.random.default_rng(1).permutation(120)
        np.testing.assert_allclose(method(blobs[order]), whole[order], rtol=1e-5, atol=1e-6)


def test_inference_runs_in_batches_smaller_than_the_data(blobs, monkeypatch):
    import skae._inference

    monkeypatch.setattr(skae._inference, "INFERENCE_FLOATS", 1)  # clipped to 256 rows
    X = np.tile(blobs, (5, 1))  # 600 rows: three batches
    ae = Autoencoder(3, **FAST).fit(X)
    assert ae.net_.valid_batch_size == 256
    seen = []
    ae.net_.module_.encoder.register_forward_hook(lambda m, i, o: seen.append(len(i[0])))
    ae.transform(X)
    assert seen == [256, 256, 96]  # the last 88 rows padded to a multiple of PAD_ROWS


def test_reconstruction_scores_are_the_negative_reconstruction_error(blobs):
    ae = Autoencoder(3, outlier_score="reconstruction", **FAST).fit(blobs)
    by_hand = np.mean((ae.inverse_transform(ae.transform(blobs)) - blobs) ** 2, axis=1)
    np.testing.assert_allclose(ae.reconstruction_error(blobs), by_hand, rtol=1e-5)
    np.testing.assert_allclose(ae.score_samples(blobs), -by_hand, rtol=1e-5)
    per_feature = ae.reconstruction_error(blobs, per_feature=True)
    assert per_feature.shape == (120, 6)
    np.testing.assert_allclose(per_feature.mean(axis=1), by_hand, rtol=1e-5)
    assert ae.score(blobs) == pytest.approx(-by_hand.mean(), rel=1e-5)


def test_scoring_is_deterministic(blobs):
    ae = Autoencoder(3, **FAST).fit(blobs)
    np.testing.assert_array_equal(ae.score_samples(blobs), ae.score_samples(blobs))
    np.testing.assert_array_equal(ae.transform(blobs), ae.transform(blobs))


def test_reconstruction_error_of_a_frame_keeps_its_labels(blobs):
    df = pd.DataFrame(blobs, columns=list("abcdef"), index=np.arange(100, 220))
    ae = Autoencoder(3, **FAST).fit(df)
    per_feature = ae.reconstruction_error(df, per_feature=True)
    assert isinstance(per_feature, pd.DataFrame)
    assert list(per_feature.columns) == list("abcdef")
    assert per_feature.index.equals(df.index)
    per_sample = ae.reconstruction_error(df)
    assert isinstance(per_sample, pd.Series) and per_sample.index.equals(df.index)
    np.testing.assert_allclose(per_sample, per_feature.mean(axis=1), rtol=1e-5)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        assert isinstance(ae.reconstruction_error(blobs), np.ndarray)


def test_feature_names_out_and_pandas_output(blobs):
    df = pd.DataFrame(blobs, columns=list("abcdef"))
    ae = Autoencoder(3, **FAST).set_output(transform="pandas").fit(df)
    names = ["autoencoder0", "autoencoder1", "autoencoder2"]
    assert list(ae.get_feature_names_out()) == names
    codes = ae.transform(df)
    assert isinstance(codes, pd.DataFrame) and list(codes.columns) == names
    np.testing.assert_array_equal(ae.feature_names_in_, list("abcdef"))


SAMPLES_BY_FEATURES = {
    "reconstruct": lambda m, X: m.reconstruct(X),
    "denoise": lambda m, X: m.denoise(X),
    "explain": lambda m, X: m.explain(X),
    "per-feature errors": lambda m, X: m.reconstruction_error(X, per_feature=True),
}


@pytest.mark.parametrize("method", sorted(SAMPLES_BY_FEATURES))
def test_samples_by_features_follow_the_frame_and_set_output(method, blobs):
    call = SAMPLES_BY_FEATURES[method]
    df = pd.DataFrame(blobs, columns=list("abcdef"), index=np.arange(len(blobs)) + 100)
    model = DenoisingAutoencoder(3, **FAST).fit(df)
    out = call(model, df.iloc[:5])
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list("abcdef") and list(out.index) == [100, 101, 102, 103, 104]
    with pytest.warns(UserWarning, match="valid feature names"):
        assert isinstance(call(model, df.iloc[:5].to_numpy()), np.ndarray)  # as the input
    model.set_output(transform="pandas")
    with pytest.warns(UserWarning, match="valid feature names"):
        out = call(model, df.iloc[:5].to_numpy())
    assert isinstance(out, pd.DataFrame) and list(out.columns) == list("abcdef")


def test_inverse_transform_follows_set_output_with_the_input_names(blobs):
    df = pd.DataFrame(blobs, columns=list("abcdef"), index=np.arange(len(blobs)) + 100)
    ae = Autoencoder(3, **FAST).fit(df)
    codes = ae.transform(df.iloc[:4])
    assert isinstance(ae.inverse_transform(codes), np.ndarray)
    ae.set_output(transform="pandas")
    codes = ae.transform(df.iloc[:4])
    decoded = ae.inverse_transform(codes)
    assert list(decoded.columns) == list("abcdef") and list(decoded.index) == [100, 101, 102, 103]
    np.testing.assert_allclose(
        decoded.to_numpy(), ae.reconstruct(df.iloc[:4]).to_numpy(), rtol=1e-5
    )
    unnamed = Autoencoder(3, **FAST).set_output(transform="pandas").fit(blobs)
    assert list(unnamed.inverse_transform(np.zeros((2, 3))).columns) == [f"x{i}" for i in range(6)]


def test_images_stay_images_whatever_set_output(digits):
    images = digits[0][:40].reshape(-1, 8, 8)
    model = ConvAutoencoder(2, max_iter=1, random_state=0).set_output(transform="pandas")
    model.fit(images)
    assert model.reconstruct(images[:3]).shape == (3, 8, 8)
    assert model.explain(images[:3]).shape == (3, 8, 8)


def test_generated_samples_follow_set_output(blobs):
    df = pd.DataFrame(blobs, columns=list("abcdef"))
    vae = VariationalAutoencoder(2, **FAST).fit(df)
    assert isinstance(vae.sample(3, random_state=0), np.ndarray)
    vae.set_output(transform="pandas")
    samples = vae.sample(3, random_state=0)
    assert isinstance(samples, pd.DataFrame) and list(samples.columns) == list("abcdef")
    assert list(vae.decode_line(np.zeros(2), np.ones(2), n_points=4).columns) == list("abcdef")
    grid, values = vae.decode_grid(3)  # a grid of samples, not samples by features
    assert isinstance(grid, np.ndarray) and grid.shape == (3, 3, 6) and len(values) == 3


def test_inverse_transform_checks_the_code_width(blobs):
    ae = Autoencoder(3, **FAST).fit(blobs)
    with pytest.raises(
        ValueError, match=r"X has 2 columns, but Autoencoder decodes codes of n_components_=3"
    ):
        ae.inverse_transform(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="contains NaN"):
        ae.inverse_transform(np.full((4, 3), np.nan))


# ---------------------------------------------------------------- parameters


@pytest.mark.parametrize("n_features, expected", [(1, 1), (2, 1), (3, 2), (30, 5), (64, 8)])
def test_auto_code_size_is_the_rounded_square_root(n_features, expected):
    X = np.random.default_rng(0).normal(size=(20, n_features))
    assert Autoencoder(max_iter=1).fit(X).n_components_ == expected


def test_auto_loss_follows_the_data_range(digits, blobs):
    X, _ = digits
    assert Autoencoder(**FAST).fit(X[:100]).loss_ == "bce"
    assert Autoencoder(**FAST).fit(blobs).loss_ == "mse"
    assert Autoencoder(loss="mse", **FAST).fit(X[:100]).loss_ == "mse"


def test_bce_refuses_data_outside_the_unit_interval(blobs, digits):
    with pytest.raises(ValueError, match=r"loss='bce' needs X in \[0, 1\], but X ranges over"):
        Autoencoder(loss="bce", **FAST).fit(blobs)
    X, _ = digits
    ae = Autoencoder(**FAST).partial_fit(X[:50])
    with pytest.raises(ValueError, match=r"loss='auto' chose 'bce' from the first training data"):
        ae.partial_fit(X[:50] * 2)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_each_activation_trains(activation, blobs):
    ae = Autoencoder(2, activation=activation, **FAST).fit(blobs)
    assert any(isinstance(m, ACTIVATIONS[activation]) for m in ae.net_.module_.modules())
    assert np.isfinite(ae.score_samples(blobs)).all()


@pytest.mark.parametrize(
    "sizes, widths", [((), [6, 2, 6]), (8, [6, 8, 2, 8, 6]), ([8, 4], [6, 8, 4, 2, 4, 8, 6])]
)
def test_hidden_layer_sizes_shape_the_network(blobs, sizes, widths):
    ae = Autoencoder(2, hidden_layer_sizes=sizes, max_iter=1).fit(blobs)
    linear = [m for m in ae.net_.module_.modules() if isinstance(m, torch.nn.Linear)]
    assert [linear[0].in_features] + [m.out_features for m in linear] == widths


@pytest.mark.parametrize("sizes", [(0,), (4, -1), (2.5,), ("8",), (True,)])
def test_bad_hidden_layer_sizes_are_refused(blobs, sizes):
    with pytest.raises(
        ValueError, match="hidden_layer_sizes must be a sequence of positive integers"
    ):
        Autoencoder(hidden_layer_sizes=sizes).fit(blobs)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"contamination": 0.7}, "contamination"),
        ({"activation": "swish"}, "activation"),
        ({"loss": "l1"}, "loss"),
        ({"n_components": 0}, "n_components"),
        ({"batch_size": 0}, "batch_size"),
        ({"learning_rate_init": 0.0}, "learning_rate_init"),
        ({"validation_fraction": 1.0}, "validation_fraction"),
        ({"device": 3}, "device"),
        ({"n_components": True}, "n_components"),
        ({"max_iter": False}, "max_iter"),
        ({"random_state": True}, "random_state"),
        ({"callbacks": "print"}, "callbacks"),
    ],
)
def test_bad_parameters_are_refused_before_training(blobs, params, match):
    ae = Autoencoder(**params)
    with pytest.raises(InvalidParameterError, match=match):
        ae.fit(blobs)
    assert not hasattr(ae, "net_")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
def test_cuda_without_a_gpu_is_a_clear_error(blobs):
    with pytest.raises(
        ValueError, match="device='cuda' was requested but torch sees no CUDA device"
    ):
        Autoencoder(device="cuda", **FAST).fit(blobs)
    assert str(Autoencoder(device="auto", **FAST).fit(blobs).net_.device) == "cpu"


def test_y_is_ignored(blobs):
    a = Autoencoder(3, **FAST).fit(blobs).transform(blobs)
    b = Autoencoder(3, **FAST).fit(blobs, np.arange(120)).transform(blobs)
    np.testing.assert_array_equal(a, b)


def test_large_finite_values_are_not_mistaken_for_infinity():
    X = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32)
    ae = Autoencoder(2, **FAST).fit(X)
    huge = np.full((5, 3), 3e38, dtype=np.float32)  # their sum overflows float32
    # not "contains infinity": the input is finite, the network's products are not
    with pytest.raises(
        ValueError, match=r"up to 3e\+38 in magnitude.*overflowed to NaN or infinity"
    ):
        ae.transform(huge)


def test_training_runs_in_train_mode_and_inference_in_eval_mode(blobs):
    ae = Autoencoder(3, **FAST).fit(blobs)
    modes = []
    ae.net_.module_.encoder.register_forward_hook(lambda m, i, o: modes.append(m.training))
    ae.transform(blobs)
    assert modes == [False]
    # the transform above, the divergence guard's reference batch, the training batches,
    # then the guard's check of the weights they left and the chunk's outlier statistics
    ae.partial_fit(blobs)
    n_batches = ae.net_.history[-1, "train_batch_count"]
    assert n_batches == 4  # batches of 32 (a tenth of 120 rows, at least 32)
    assert modes[: 2 + n_batches] == [False, False] + [True] * n_batches
    assert len(modes) > 2 + n_batches and not any(modes[2 + n_batches :])


def test_adam_runs_its_fused_kernel_on_one_param_group(blobs):
    ae = Autoencoder(3, **FAST).fit(blobs)
    optimizer = ae.net_.optimizer_
    assert isinstance(optimizer, torch.optim.Adam) and optimizer.defaults["fused"] is True
    # one group, one kernel per step, the L2 term on every parameter
    assert [group["weight_decay"] for group in optimizer.param_groups] == [
        pytest.approx(1e-4 / 32)  # alpha / batch_size, the batch a tenth of 120 rows, >= 32
    ]
    assert len(optimizer.param_groups[0]["params"]) == len(list(ae.net_.module_.parameters()))


class _InitialWeights(Callback):
    def on_train_begin(self, net, **kwargs):
        self.state = {k: v.clone() for k, v in net.module_.state_dict().items()}


def test_one_step_is_fused_adam_with_the_scaled_l2_term(blobs):
    # a large alpha, so that the L2 term decides the direction of Adam's first step
    alpha, X = 50.0, blobs.astype(np.float32)
    ae = Autoencoder(
        3,
        hidden_layer_sizes=(16,),
        alpha=alpha,
        batch_size=len(X),
        max_iter=1,
        tol=0.0,
        random_state=0,
        callbacks=[("initial", _InitialWeights())],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ae.fit(X)
    initial = dict(ae.net_.callbacks_)["initial"].state
    trained = ae.net_.module_.state_dict()

    def reference_step(decay):
        module = ae._make_network(X.shape[1])()
        module.load_state_dict(initial)
        optimizer = torch.optim.Adam(module.parameters(), lr=1e-3, weight_decay=decay, fused=True)
        batch = torch.from_numpy(X)
        output, _ = module(batch)
        torch.nn.functional.mse_loss(output, batch).backward()
        optimizer.step()
        return module.state_dict()

    reference = reference_step(alpha / len(X))
    for name in trained:
        torch.testing.assert_close(trained[name], reference[name], rtol=0, atol=1e-6)
    without = reference_step(0.0)
    assert not all(torch.allclose(trained[n], without[n], atol=1e-6) for n in trained)


def test_alpha_is_scaled_by_the_batch_size_like_mlp(blobs):
    # scikit-learn's MLP adds alpha * W / batch_size to the weights' gradient
    ae = Autoencoder(3, alpha=0.3, batch_size=40, **FAST).fit(blobs)
    decays = [g["weight_decay"] for g in ae.net_.optimizer_.param_groups]
    assert decays == [pytest.approx(0.3 / 40)]
    ae.set_params(warm_start=True, alpha=0.6, batch_size=60).fit(blobs)
    decays = [g["weight_decay"] for g in ae.net_.optimizer_.param_groups]
    assert decays == [pytest.approx(0.01)]


# ---------------------------------------------------------------- batches and stopping


def test_fewer_samples_than_the_batch_size_train(blobs):
    ae = Autoencoder(2, batch_size=64, max_iter=3, random_state=0).fit(blobs[:5])
    assert ae.net_.history[-1, "train_batch_count"] == 1
    assert ae.net_.history[-1, "batches", -1, "train_batch_size"] == 5


def test_the_last_short_batch_is_kept(blobs):
    ae = Autoencoder(2, batch_size=50, max_iter=1, random_state=0).fit(blobs)
    assert ae.net_.history[-1, "batches", :, "train_batch_size"] == [50, 50, 20]


@pytest.mark.parametrize(
    ("n_rows", "sizes"),
    [(20, [20]), (100, [32, 32, 32, 4]), (450, [45] * 10), (2500, [200] * 12 + [100])],
)
def test_auto_batch_size_is_a_tenth_of_the_rows_from_32_to_200(n_rows, sizes):
    X = np.random.default_rng(0).normal(size=(n_rows, 3))
    ae = Autoencoder(max_iter=1, random_state=0).fit(X)
    assert ae.net_.history[-1, "batches", :, "train_batch_size"] == sizes


def test_training_stops_when_the_loss_stalls(blobs):
    # with a huge tol no epoch counts as an improvement after the first
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ae = Autoencoder(tol=1e6, n_iter_no_change=3, max_iter=100, random_state=0).fit(blobs)
    assert ae.n_iter_ == 4


def test_the_stopping_rule_is_relative_to_the_loss_above_its_floor():
    from skae._callbacks import StoppingRule

    rule = StoppingRule(floor=0.5, threshold=0.1, threshold_mode="rel", monitor="train_loss")
    # 10% of the 0.2 above the floor, not of the whole 0.7
    assert rule._calc_new_threshold(0.7) == pytest.approx(0.68)
    # below the floor (a validation loss can be), a score must still fall to count
    assert rule._calc_new_threshold(0.4) == pytest.approx(0.4)
    assert StoppingRule(threshold=0.1, threshold_mode="rel")._calc_new_threshold(2.0) == 1.8


def _entropy(p):
    p = p[~np.isnan(p)]
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = -(np.where(p > 0, p * np.log(p), 0) + np.where(p < 1, (1 - p) * np.log(1 - p), 0))
    return terms.mean()


def test_the_loss_floor_is_the_entropy_of_what_is_trained_towards(digits):
    from skae import EncoderDecoderRegressor

    X = digits[0][:200].copy()
    X[::5, 3] = np.nan

    def floor(model):
        return dict(model.net_.callbacks_)["stopping"].floor

    ae = Autoencoder(2, max_iter=1, random_state=0).fit(X)
    assert ae.loss_ == "bce"
    assert floor(ae) == pytest.approx(_entropy(X.ravel()), rel=1e-5)
    assert floor(Autoencoder(2, loss="mse", max_iter=1, random_state=0).fit(X)) == 0.0
    # the regressor's floor is its targets', not its inputs'
    y = np.random.default_rng(0).uniform(0.2, 0.8, size=(200, 3))
    reg = EncoderDecoderRegressor(max_iter=1, random_state=0).fit(np.nan_to_num(X), y)
    assert floor(reg) == pytest.approx(_entropy(y.ravel()), rel=1e-5)
    # the VAE sums over a sample's features; a Gaussian likelihood has its constant
    vae = VariationalAutoencoder(2, max_iter=1, random_state=0).fit(np.nan_to_num(X))
    assert floor(vae) == pytest.approx(64 * _entropy(np.nan_to_num(X).ravel()), rel=1e-5)
    gaussian = VariationalAutoencoder(2, loss="mse", max_iter=1, random_state=0).fit(X)
    assert floor(gaussian) == pytest.approx(0.5 * 64 * np.log(2 * np.pi))


def test_reaching_max_iter_warns(blobs):
    with pytest.warns(ConvergenceWarning, match="reached max_iter=2 epochs"):
        Autoencoder(tol=0.0, max_iter=2, random_state=0).fit(blobs)


def test_early_stopping_restores_the_best_weights(blobs):
    ae = Autoencoder(
        early_stopping=True, n_iter_no_change=2, tol=1e6, max_iter=50, random_state=0
    ).fit(blobs)
    assert ae.n_iter_ == 3
    assert len(ae.validation_scores_) == 3
    assert ae.best_validation_score_ == max(ae.validation_scores_)
    stopping = dict(ae.net_.callbacks_)["stopping"]
    assert stopping.best_epoch_ == 1
    for name, value in ae.net_.module_.state_dict().items():
        assert torch.equal(value, stopping.best_model_weights_[name])


def test_early_stopping_holds_out_the_validation_fraction(blobs):
    ae = Autoencoder(early_stopping=True, validation_fraction=0.25, max_iter=1, random_state=0)
    ae.fit(blobs)
    assert sum(ae.net_.history[-1, "batches", :, "train_batch_size"]) == 90
    assert sum(ae.net_.history[-1, "batches", :, "valid_batch_size"]) == 30
    assert ae.validation_scores_[0] == -ae.net_.history[-1, "valid_loss"]


def test_early_stopping_needs_two_samples(blobs):
    with pytest.raises(ValueError, match="needs at least 2 samples; got 1 sample"):
        Autoencoder(early_stopping=True).fit(blobs[:1])


def test_without_early_stopping_there_are_no_validation_scores(blobs):
    ae = Autoencoder(**FAST).fit(blobs)
    assert ae.validation_scores_ is None and ae.best_validation_score_ is None


# ---------------------------------------------------------------- outlier detection


@pytest.mark.parametrize("contamination", [0.05, 0.1, 0.25])
def test_contamination_sets_the_share_of_outliers(blobs, contamination):
    ae = Autoencoder(2, contamination=contamination, **FAST).fit(blobs)
    labels = ae.predict(blobs)
    assert set(np.unique(labels)) == {-1, 1}
    assert np.sum(labels == -1) == int(contamination * 120)


def test_auto_contamination_is_the_tukey_fence(blobs):
    ae = Autoencoder(2, outlier_score="reconstruction", **FAST).fit(blobs)
    errors = np.mean((ae.inverse_transform(ae.transform(blobs)) - blobs) ** 2, axis=1)
    q1, q3 = np.percentile(errors, [25, 75])
    fence = q3 + 1.5 * (q3 - q1)
    assert ae.offset_ == pytest.approx(-fence, rel=1e-5)
    np.testing.assert_array_equal(ae.predict(blobs) == -1, errors > fence)


def test_auto_contamination_fences_the_hybrid_anomaly_score(blobs):
    ae = Autoencoder(2, **FAST).fit(blobs)
    anomaly = -ae.score_samples(blobs)
    q1, q3 = np.percentile(anomaly, [25, 75])
    fence = q3 + 1.5 * (q3 - q1)
    assert ae.offset_ == pytest.approx(-fence, rel=1e-5)
    np.testing.assert_array_equal(ae.predict(blobs) == -1, anomaly > fence)


def test_outliers_get_low_scores(blobs):
    ae = Autoencoder(2, max_iter=100, random_state=0).fit(blobs)
    far = blobs[:5] + 20.0
    assert ae.score_samples(far).max() < ae.score_samples(blobs).min()
    assert (ae.predict(far) == -1).all()
    np.testing.assert_allclose(ae.decision_function(far), ae.score_samples(far) - ae.offset_)
    assert (ae.decision_function(far) < 0).all()


def test_fit_predict_labels_the_training_data(blobs):
    labels = Autoencoder(2, contamination=0.1, **FAST).fit_predict(blobs)
    np.testing.assert_array_equal(
        labels, Autoencoder(2, contamination=0.1, **FAST).fit(blobs).predict(blobs)
    )


# ---------------------------------------------------------------- state and randomness


def test_same_seed_gives_bitwise_identical_fits(blobs):
    a = Autoencoder(3, max_iter=10, random_state=7).fit(blobs)
    b = Autoencoder(3, max_iter=10, random_state=7).fit(blobs)
    c = Autoencoder(3, max_iter=10, random_state=8).fit(blobs)
    np.testing.assert_array_equal(a.transform(blobs), b.transform(blobs))
    np.testing.assert_array_equal(a.score_samples(blobs), b.score_samples(blobs))
    assert a.loss_curve_ == b.loss_curve_
    assert not np.array_equal(a.transform(blobs), c.transform(blobs))


def test_fit_leaves_the_global_random_states_unchanged(blobs):
    with global_random_state_untouched():
        Autoencoder(3, max_iter=3, early_stopping=True, random_state=0).fit(blobs)


def test_a_random_state_instance_is_accepted(blobs):
    a = Autoencoder(3, max_iter=3, random_state=np.random.RandomState(0)).fit(blobs)
    b = Autoencoder(3, max_iter=3, random_state=np.random.RandomState(0)).fit(blobs)
    np.testing.assert_array_equal(a.transform(blobs), b.transform(blobs))


def test_warm_start_continues_training(blobs):
    ae = Autoencoder(3, max_iter=5, tol=0.0, warm_start=True, random_state=0).fit(blobs)
    first_curve = list(ae.loss_curve_)
    ae.fit(blobs)
    assert ae.n_iter_ == 10 and ae.loss_curve_[:5] == first_curve
    assert ae.loss_curve_[5] < first_curve[0]
    cold = Autoencoder(3, max_iter=5, tol=0.0, random_state=0).fit(blobs)
    cold.fit(blobs)
    assert cold.n_iter_ == 5 and cold.loss_curve_ == first_curve


def test_new_parameters_apply_when_training_continues(blobs):
    ae = Autoencoder(3, max_iter=2, warm_start=True, random_state=0).fit(blobs)
    ae.set_params(learning_rate_init=0.05, batch_size=30, max_iter=1)
    ae.fit(blobs)
    assert ae.n_iter_ == 3
    assert all(group["lr"] == 0.05 for group in ae.net_.optimizer_.param_groups)
    assert ae.net_.history[-1, "batches", :, "train_batch_size"] == [30, 30, 30, 30]


def test_partial_fit_trains_one_epoch_per_call(blobs):
    ae = Autoencoder(3, random_state=0)
    for i in range(3):
        ae.partial_fit(blobs[i * 40 : (i + 1) * 40])
        assert ae.n_iter_ == i + 1
    assert ae.loss_curve_[-1] < ae.loss_curve_[0]
    assert hasattr(ae, "offset_")


def test_partial_fit_is_deterministic_for_a_seed_and_chunking(blobs):
    def stream():
        ae = Autoencoder(3, random_state=0)
        for _ in range(2):
            for start in range(0, 120, 40):
                ae.partial_fit(blobs[start : start + 40])
        return ae.transform(blobs)

    np.testing.assert_array_equal(stream(), stream())


def test_partial_fit_continues_a_fit(blobs):
    ae = Autoencoder(3, max_iter=4, tol=0.0, early_stopping=True, random_state=0).fit(blobs)
    ae.partial_fit(blobs)
    assert ae.n_iter_ == 5
    assert "valid_loss" not in ae.net_.history[-1]


def test_partial_fit_checks_the_width_of_each_chunk(blobs):
    ae = Autoencoder(3, random_state=0).partial_fit(blobs)
    with pytest.raises(
        ValueError, match="X has 5 features, but Autoencoder is expecting 6 features"
    ):
        ae.partial_fit(blobs[:, :5])


# ---------------------------------------------------------------- skorch pass-through


class _EpochCounter(Callback):
    def initialize(self):
        self.epochs = 0
        return self

    def on_epoch_end(self, net, **kwargs):
        self.epochs += 1


def test_user_callbacks_run_and_are_not_modified(blobs):
    counter = _EpochCounter()
    ae = Autoencoder(3, max_iter=4, tol=0.0, callbacks=[counter], random_state=0).fit(blobs)
    assert dict(ae.net_.callbacks_)["_EpochCounter"].epochs == 4
    assert not hasattr(counter, "epochs")


def test_verbose_prints_skorchs_table(blobs, capsys):
    Autoencoder(3, max_iter=2, verbose=1, random_state=0).fit(blobs)
    out = capsys.readouterr().out
    assert "train_loss" in out and "epoch" in out
    Autoencoder(3, max_iter=2, random_state=0).fit(blobs)
    assert capsys.readouterr().out == ""


# ---------------------------------------------------------------- unfitted use


@pytest.mark.parametrize(
    "method",
    [
        "transform",
        "inverse_transform",
        "score_samples",
        "decision_function",
        "predict",
        "reconstruction_error",
        "score",
    ],
)
def test_unfitted_use_raises_not_fitted(method, blobs):
    with pytest.raises(NotFittedError, match="not fitted yet"):
        getattr(Autoencoder(), method)(blobs)


def test_the_epoch_loss_is_the_batch_size_weighted_mean_of_the_batch_losses(blobs):
    ae = Autoencoder(2, batch_size=50, max_iter=3, tol=0.0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ae.fit(blobs)
    for epoch in ae.net_.history:
        losses = [row["train_loss"] for row in epoch["batches"]]
        sizes = [row["train_batch_size"] for row in epoch["batches"]]
        assert sizes == [50, 50, 20]
        assert epoch["train_loss"] == pytest.approx(np.average(losses, weights=sizes), rel=1e-12)
    assert ae.loss_curve_ == [epoch["train_loss"] for epoch in ae.net_.history]


def test_the_table_of_losses_is_built_only_when_printed(blobs, capsys):
    quiet = Autoencoder(2, **FAST).fit(blobs)
    assert "print_log" not in dict(quiet.net_.callbacks_)
    assert capsys.readouterr().out == ""
    loud = Autoencoder(2, verbose=1, **FAST).fit(blobs)
    assert "print_log" in dict(loud.net_.callbacks_)
    assert "train_loss" in capsys.readouterr().out
