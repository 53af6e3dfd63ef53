"""Bad input: every message names the problem, and nothing trains before the check."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from skae import Autoencoder

FAST = dict(max_iter=2, hidden_layer_sizes=(4,), random_state=0)


@pytest.fixture
def X():
    return np.random.default_rng(0).normal(size=(30, 4))


@pytest.fixture
def fitted(X):
    return Autoencoder(2, **FAST).fit(X)


def _refused(X, error, match):
    ae = Autoencoder(2, **FAST)
    with pytest.raises(error, match=match):
        ae.fit(X)
    assert not hasattr(ae, "net_"), "training started before the input was checked"


def test_a_column_with_nothing_observed_is_named(X):
    X[:, 2] = np.nan
    _refused(X, ValueError, r"column\(s\) \[2\] with no observed value")


def test_a_frame_column_with_nothing_observed_is_named_by_its_label(X):
    df = pd.DataFrame(X, columns=["age", "income", "height", "weight"])
    df["income"] = np.nan
    _refused(df, ValueError, r"column\(s\) \['income'\] with no observed value")


def test_a_row_with_nothing_observed_is_named(X):
    X[[4, 7]] = np.nan
    _refused(X, ValueError, r"2 row\(s\) with no observed value.*row\(s\) \[4, 7\]")


def test_pandas_missing_values_are_missing_entries(X):
    df = pd.DataFrame({"a": pd.array([1, None, 3] * 10, dtype="Int64"), "b": X[:, 0]})
    ae = Autoencoder(2, **FAST).fit(df)
    assert np.isnan(ae.reconstruction_error(df, per_feature=True).to_numpy()[1, 0])


def test_infinity_names_its_column(X):
    X[0, 1] = np.inf
    X[1, 3] = -np.inf
    _refused(X, ValueError, r"contains infinity \(2 value\(s\), in column\(s\) \[1, 3\]\)")


def test_many_bad_columns_are_summarised():
    X = np.full((3, 8), np.inf)
    _refused(X, ValueError, r"\[0, 1, 2, 3, 4 and 3 more\]")


def test_string_columns_of_a_frame_are_named(X):
    df = pd.DataFrame(X, columns=list("abcd"))
    df["city"] = ["Paris", "Lyon", "Nice"] * 10
    _refused(df, TypeError, r"non-numeric column\(s\) \['city'\] with dtype")


def test_categorical_columns_are_named(X):
    df = pd.DataFrame(X, columns=list("abcd"))
    df["colour"] = pd.Categorical(["red", "blue"] * 15)
    _refused(df, TypeError, r"non-numeric column\(s\) \['colour'\] with dtype category")


def test_numeric_object_and_boolean_columns_are_accepted(X):
    df = pd.DataFrame(X, columns=list("abcd"))
    df["flag"] = [True, False] * 15
    df["as_object"] = pd.Series(X[:, 0], dtype=object)
    ae = Autoencoder(2, **FAST).fit(df)
    assert ae.n_features_in_ == 6


def test_string_arrays_are_refused():
    _refused(np.array([["1", "2"], ["3", "x"]]), TypeError, r"X contains strings \(dtype <U1\)")


def test_object_arrays_with_words_name_the_column(X):
    X = X.astype(object)
    X[7, 1] = "abc"
    _refused(X, TypeError, r"non-numeric value 'abc' in column 1")


def test_object_arrays_of_numbers_are_accepted(X):
    assert Autoencoder(2, **FAST).fit(X.astype(object)).n_features_in_ == 4


def test_empty_data_is_refused():
    _refused(np.empty((0, 4)), ValueError, r"Found array with 0 sample\(s\)")
    _refused(np.empty((5, 0)), ValueError, r"0 feature\(s\)")


def test_one_dimensional_data_is_refused(X):
    _refused(X[:, 0], ValueError, "Expected 2D array, got 1D array instead")


def test_three_dimensional_data_is_refused(X):
    _refused(X.reshape(30, 2, 2), ValueError, "Found array with dim 3")


def test_sparse_data_is_refused(X):
    _refused(sp.csr_matrix(X), TypeError, "Sparse data was passed")


def test_complex_data_is_refused(X):
    _refused(X.astype(complex), ValueError, "Complex data not supported")


def test_wrong_width_after_fit_is_refused(fitted, X):
    for method in (
        fitted.transform,
        fitted.score_samples,
        fitted.predict,
        fitted.reconstruction_error,
    ):
        with pytest.raises(
            ValueError, match="X has 3 features, but Autoencoder is expecting 4 features"
        ):
            method(X[:, :3])


def test_renamed_columns_after_fit_are_refused(X):
    ae = Autoencoder(2, **FAST).fit(pd.DataFrame(X, columns=list("abcd")))
    with pytest.raises(ValueError, match="feature names should match"):
        ae.transform(pd.DataFrame(X, columns=list("abce")))


def test_a_row_with_nothing_observed_after_fit_is_refused(fitted, X):
    X[20] = np.nan
    for method in (fitted.transform, fitted.score_samples, fitted.reconstruction_error):
        with pytest.raises(ValueError, match=r"no observed value.*row\(s\) \[20\]"):
            method(X)


def test_one_sample_and_one_feature_train(X):
    assert Autoencoder(**FAST).fit(X[:1]).predict(X[:1]).shape == (1,)
    assert Autoencoder(**FAST).fit(X[:, :1]).transform(X[:, :1]).shape == (30, 1)


def test_boolean_input_trains():
    X = np.random.default_rng(0).random((20, 5)) > 0.5
    ae = Autoencoder(**FAST).fit(X)
    assert ae.loss_ == "bce" and ae.transform(X).dtype == np.float64


def test_duplicate_column_names_are_refused(X):
    df = pd.DataFrame(X, columns=["a", "b", "a", "c"])
    _refused(df, ValueError, r"duplicate column names \['a'\]")


@pytest.mark.parametrize("value", [None, "abc", 3.0, np.float64(2.0)])
def test_a_scalar_is_not_an_array(value):
    _refused(value, ValueError, r"array-like of shape \(n_samples, n_features\)")


def test_strings_in_nested_lists_name_their_column():
    rows = [[1.0, 2.0, "x"], [3.0, 4.0, 5.0]]
    _refused(rows, TypeError, r"non-numeric value 'x' in column 2")


def test_values_beyond_float32_are_refused_by_fit(X):
    X[2, 1] = 1e39
    _refused(X, ValueError, r"up to 1e\+39 in magnitude, beyond float32")


@pytest.mark.parametrize(
    "method", ["transform", "score_samples", "predict", "reconstruction_error"]
)
def test_inference_that_overflows_float32_says_so(fitted, X, method):
    huge = np.full((3, 4), 1e300)
    with pytest.raises(ValueError, match=r"up to 1e\+300 in magnitude.*overflowed"):
        getattr(fitted, method)(huge)


def test_inverse_transform_refuses_non_finite_codes(fitted):
    codes = np.zeros((2, 2))
    codes[1, 0] = np.nan
    with pytest.raises(ValueError, match=r"contains NaN \(1 value\(s\), in column\(s\) \[0\]\)"):
        fitted.inverse_transform(codes)


# torch tensors, polars frames, masked and big-endian arrays


def test_torch_tensors_are_taken_and_numpy_comes_back(X):
    torch = pytest.importorskip("torch")
    X32 = X.astype(np.float32)
    from_tensor = Autoencoder(2, **FAST).fit(torch.from_numpy(X32))
    from_array = Autoencoder(2, **FAST).fit(X32)
    codes = from_tensor.transform(torch.from_numpy(X32))
    assert isinstance(codes, np.ndarray) and codes.dtype == np.float32
    np.testing.assert_array_equal(codes, from_array.transform(X32))
    back = from_tensor.inverse_transform(torch.from_numpy(codes))
    np.testing.assert_array_equal(back, from_array.inverse_transform(codes))
    np.testing.assert_array_equal(
        from_tensor.score_samples(torch.from_numpy(X32).half()),
        from_array.score_samples(X32.astype(np.float16).astype(np.float32)),
    )
    requires_grad = torch.from_numpy(X32).requires_grad_()
    assert from_tensor.predict(requires_grad).shape == (len(X),)


def test_complex_tensors_are_refused(X):
    torch = pytest.importorskip("torch")
    _refused(torch.ones(5, 3, dtype=torch.complex64), TypeError, "complex tensor")


def test_masked_values_are_missing_entries_not_their_hidden_data(X):
    masked = np.ma.masked_array(X, mask=np.zeros_like(X, dtype=bool))
    masked.mask[3, 2] = True
    with_nan = X.copy()
    with_nan[3, 2] = np.nan
    masked.data[3, 2] = 1e6  # what the mask hides plays no part
    np.testing.assert_array_equal(
        Autoencoder(2, **FAST).fit(masked).transform(with_nan),
        Autoencoder(2, **FAST).fit(with_nan).transform(with_nan),
    )
    unmasked = np.ma.masked_array(X)  # nothing masked: its data is used
    np.testing.assert_array_equal(
        Autoencoder(2, **FAST).fit(unmasked).transform(X),
        Autoencoder(2, **FAST).fit(X).transform(X),
    )


def test_big_endian_float32_stays_float32(X):
    big = X.astype(">f4")
    ae = Autoencoder(2, **FAST).fit(big)
    assert ae.transform(big).dtype == np.float32
    np.testing.assert_array_equal(
        ae.transform(big),
        Autoencoder(2, **FAST).fit(X.astype(np.float32)).transform(X.astype(np.float32)),
    )


@pytest.fixture
def pl():
    return pytest.importorskip("polars")


@pytest.mark.parametrize("kind", ["datetime", "duration", "string", "categorical"])
def test_polars_columns_that_are_not_numbers_are_named(pl, kind):
    import datetime

    values = {
        "datetime": [datetime.datetime(2020, 1, i + 1) for i in range(10)],
        "duration": [datetime.timedelta(days=i) for i in range(10)],
        "string": list("abcdefghij"),
        "categorical": pl.Series(list("abcdefghij"), dtype=pl.Categorical),
    }[kind]
    frame = pl.DataFrame({"ok": np.arange(10.0), "when": values})
    _refused(frame, TypeError, r"non-numeric column\(s\) \['when'\]")


@pytest.mark.parametrize("missing", [None, float("nan")])
def test_polars_nulls_and_nans_are_missing_entries(pl, missing):
    frame = pl.DataFrame({"a": np.arange(10.0), "b": [1.0] * 9 + [missing]})
    errors = Autoencoder(1, **FAST).fit(frame).reconstruction_error(frame, per_feature=True)
    assert np.isnan(errors["b"][9]) and not np.isnan(errors["a"][9])


def test_polars_in_polars_out(pl, X):
    frame = pl.DataFrame(X, schema=["a", "b", "c", "d"], orient="row")
    ae = Autoencoder(2, **FAST).fit(frame)
    per_feature = ae.reconstruction_error(frame, per_feature=True)
    assert isinstance(per_feature, pl.DataFrame) and per_feature.columns == ["a", "b", "c", "d"]
    per_sample = ae.reconstruction_error(frame)
    assert isinstance(per_sample, pl.Series) and len(per_sample) == len(X)
    np.testing.assert_allclose(
        per_feature.to_numpy().mean(axis=1), per_sample.to_numpy(), rtol=1e-6
    )
    codes = ae.transform(frame)  # set_output("default"): transform itself stays numpy, as sklearn's
    assert isinstance(codes, np.ndarray)


def test_fit_stream_of_a_polars_frame_keeps_its_names(pl, X, recwarn):
    from skae import fit_stream

    frame = pl.DataFrame(np.tile(X, (4, 1)), schema=["a", "b", "c", "d"], orient="row")
    ae = fit_stream(Autoencoder(2, **FAST), frame, chunk_size=40)
    assert list(ae.feature_names_in_) == ["a", "b", "c", "d"]
    assert not [w for w in recwarn if "feature names" in str(w.message)]


# parameters


@pytest.mark.parametrize("device", ["cuda:7", "mps"])
def test_devices_torch_accepts_but_this_machine_lacks_are_refused_clearly(X, device):
    torch = pytest.importorskip("torch")
    if device == "mps" and torch.backends.mps.is_available():
        pytest.skip("this machine has an MPS device")
    if device == "cuda:7" and torch.cuda.device_count() > 7:
        pytest.skip("this machine has eight GPUs")
    ae = Autoencoder(2, **FAST, device=device)
    with pytest.raises(ValueError, match=rf"device='{device}' was requested but torch sees"):
        ae.fit(X)
    assert not hasattr(ae, "net_")


@pytest.mark.parametrize("device", ["tpu", "cuda:x", "meta", ""])
def test_strings_that_are_not_devices_are_refused(X, device):
    ae = Autoencoder(2, **FAST, device=device)
    with pytest.raises(ValueError, match=r"device must be 'auto' or a torch device string"):
        ae.fit(X)


def test_cpu_with_an_index_is_a_device(X):
    assert str(Autoencoder(2, **FAST, device="cpu:0").fit(X).net_.device).startswith("cpu")


# messages that name the cause


def test_bce_range_error_shows_enough_digits_to_see_the_cause(X):
    just_above = np.linspace(0.0003781, 1.0 + 1e-7, 40).reshape(10, 4)
    _refused_bce = Autoencoder(2, **FAST, loss="bce")
    with pytest.raises(ValueError, match=r"ranges over \[0.0003781, 1.0000001\]"):
        _refused_bce.fit(just_above)


def test_huge_gaussian_noise_is_named_as_the_cause_of_divergence(X):
    from skae import DenoisingAutoencoder

    with pytest.raises(ValueError, match=r"diverged.*noise_level=1e\+30.*lower noise_level"):
        DenoisingAutoencoder(2, **FAST, noise_level=1e30).fit(X)


def test_non_finite_weights_are_named_not_the_input(fitted, X):
    import torch

    with torch.no_grad():
        next(fitted.net_.module_.parameters()).fill_(float("nan"))
    for method in ("transform", "score_samples", "reconstruction_error"):
        with pytest.raises(ValueError, match="network's weights hold NaN or infinity"):
            getattr(fitted, method)(X)


@pytest.mark.parametrize(
    "method", ["score_samples", "reconstruction_error", "score", "decision_function"]
)
def test_finite_input_whose_results_overflow_is_an_error_not_inf(fitted, X, method):
    with pytest.raises(ValueError, match=r"up to .*e\+25 in magnitude.*overflowed"):
        getattr(fitted, method)(X * 1e25)


def test_sparse_tensors_and_all_null_polars_columns_are_named(X):
    torch = pytest.importorskip("torch")
    pl = pytest.importorskip("polars")
    _refused(torch.eye(4).to_sparse(), TypeError, r"X is a sparse torch tensor.*to_dense")
    frame = pl.DataFrame({"a": [1.0, 2.0, 3.0], "gone": [None, None, None]})
    _refused(frame, ValueError, r"column\(s\) \['gone'\] with no value at all")


def test_explain_and_decoding_never_return_inf_silently(fitted, X):
    from skae import VariationalAutoencoder

    with pytest.raises(ValueError, match="overflowed"):
        fitted.explain(np.full((2, 4), 3e19))
    vae = VariationalAutoencoder(2, **FAST).fit(X)
    with pytest.raises(ValueError, match="overflowed"):
        vae.decode_line([1e39, 0.0], [1e39, 0.0], n_points=3)
