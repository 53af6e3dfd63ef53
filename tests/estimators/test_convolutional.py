"""Behaviour of ConvAutoencoder: image layouts, sizes, pipelines, denoising. Small images."""

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skae import ConvAutoencoder

FAST = dict(filters=(4, 8), max_iter=3, random_state=0)


@pytest.fixture(scope="module")
def images(digits):
    X, _ = digits
    return X[:300].reshape(-1, 8, 8)


def test_layouts_in_and_out(images):
    rows = images.reshape(len(images), -1)
    with_channel = images[:, None]
    for X, shape in ((images, (8, 8)), (with_channel, (1, 8, 8))):
        conv = ConvAutoencoder(4, **FAST).fit(X)
        assert conv.image_shape_ == (1, 8, 8) and conv.n_features_in_ == 64
        assert conv.inverse_transform(conv.transform(X)).shape == (len(X), *shape)
        assert conv.reconstruct(rows).shape == (len(X), 64)  # the caller's layout
        assert conv.reconstruction_error(X, per_feature=True).shape == (len(X), *shape)
    conv = ConvAutoencoder(4, image_shape=(1, 8, 8), **FAST).fit(rows)
    assert conv.inverse_transform(conv.transform(rows)).shape == (len(rows), 64)
    assert conv.reconstruct(images).shape == images.shape


def test_images_and_rows_train_the_same_model(images):
    rows = images.reshape(len(images), -1)
    a = ConvAutoencoder(4, **FAST).fit(images)
    b = ConvAutoencoder(4, image_shape=(1, 8, 8), **FAST).fit(rows)
    np.testing.assert_array_equal(a.transform(images), b.transform(rows))
    np.testing.assert_array_equal(a.score_samples(images), b.score_samples(images))


@pytest.mark.parametrize("shape", [(3, 7, 9), (1, 5, 5), (2, 13, 6)])
def test_odd_image_sizes_come_back_at_their_size(shape):
    X = np.random.default_rng(0).random((20, *shape))
    conv = ConvAutoencoder(3, **FAST).fit(X)
    assert conv.image_shape_ == shape
    assert conv.reconstruct(X).shape == X.shape


def test_flattened_rows_in_a_pipeline(images):
    rows = images.reshape(len(images), -1) * 16
    pipe = make_pipeline(MinMaxScaler(), ConvAutoencoder(4, image_shape=(1, 8, 8), **FAST))
    assert pipe.fit_transform(rows).shape == (len(rows), 4)
    assert pipe.predict(rows).shape == (len(rows),)


def test_rows_without_image_shape_are_one_pixel_high_images(images):
    conv = ConvAutoencoder(4, **FAST).fit(images.reshape(len(images), -1))
    assert conv.image_shape_ == (1, 1, 64)


def test_beats_pca_on_held_out_digits(digits):
    X, _ = digits
    X_train, X_test = train_test_split(X.reshape(-1, 8, 8), test_size=0.25, random_state=0)
    pca = PCA(8).fit(X_train.reshape(len(X_train), -1))
    flat_test = X_test.reshape(len(X_test), -1)
    pca_mse = np.mean((pca.inverse_transform(pca.transform(flat_test)) - flat_test) ** 2)
    conv = ConvAutoencoder(8, max_iter=60, random_state=0).fit(X_train)
    assert np.mean(conv.reconstruction_error(X_test)) < 0.9 * pca_mse


def test_convolutional_denoising_shares_the_denoising_options(images):
    plain = ConvAutoencoder(4, **FAST).fit(images)
    silent = ConvAutoencoder(4, noise="masking", noise_level=0.0, **FAST).fit(images)
    noisy = ConvAutoencoder(4, noise="masking", noise_level=0.5, **FAST).fit(images)
    np.testing.assert_array_equal(plain.transform(images), silent.transform(images))
    assert not np.array_equal(plain.transform(images), noisy.transform(images))
    np.testing.assert_array_equal(noisy.denoise(images), noisy.denoise(images))
    assert noisy.denoise(images).shape == images.shape


@pytest.mark.parametrize(
    "params, X_shape, match",
    [
        (
            {"image_shape": (1, 8, 8)},
            (10, 60),
            r"image_shape=\(1, 8, 8\) needs X of 64 values per sample",
        ),
        ({"image_shape": (8, 8)}, (10, 64), r"image_shape must be \(channels, height, width\)"),
        ({"image_shape": (1, 4, 4)}, (10, 8, 8), r"does not match the images given"),
        ({"kernel_size": 4}, (10, 8, 8), "kernel_size must be odd"),
        ({"filters": ()}, (10, 8, 8), "filters must hold at least one"),
        ({"filters": (0,)}, (10, 8, 8), "filters must be a sequence of positive integers"),
    ],
)
def test_bad_shapes_and_settings_are_refused(params, X_shape, match):
    conv = ConvAutoencoder(2, **{**FAST, **params})
    with pytest.raises(ValueError, match=match):
        conv.fit(np.random.default_rng(0).random(X_shape))
    assert not hasattr(conv, "net_")


def test_images_of_another_shape_after_fit_are_refused(images):
    conv = ConvAutoencoder(4, **FAST).fit(images)
    with pytest.raises(
        ValueError, match=r"images of shape \(7, 7\), but .* images of shape \(8, 8\)"
    ):
        conv.transform(images[:, :7, :7])
    with pytest.raises(ValueError, match="X has 49 features, but ConvAutoencoder is expecting 64"):
        conv.transform(images[:, :7, :7].reshape(len(images), -1))
    color = ConvAutoencoder(4, **FAST).fit(np.repeat(images[:, None], 3, axis=1))
    with pytest.raises(ValueError, match=r"without a channel axis, but .* fitted on 3 channels"):
        color.transform(images)
