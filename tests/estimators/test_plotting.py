"""The Display objects: which artists they draw, from which numbers, and their errors.

Artists are checked (images, bars, lines, labels), never pixels; the Agg backend
draws nothing on screen.
"""

import sys

import numpy as np
import pandas as pd
import pytest

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from skae import (  # noqa: E402
    Autoencoder,
    ConvAutoencoder,
    VariationalAutoencoder,
)
from skae.plotting import (  # noqa: E402
    AnomalyScoreDisplay,
    FeatureErrorDisplay,
    GeneratedSamplesDisplay,
    LatentSpaceDisplay,
    LossCurveDisplay,
    ReconstructionDisplay,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _fit(estimator, X):
    return estimator.fit(X)


@pytest.fixture(scope="module")
def digits_ae():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = X[:300] / 16.0
    return _fit(Autoencoder(n_components=4, max_iter=3, random_state=0), X), X, y[:300]


@pytest.fixture(scope="module")
def cancer():
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True)
    X = data.data
    X = (X - X.mean()) / X.std()
    det = Autoencoder(max_iter=3, contamination=0.1, random_state=0)
    return _fit(det, X), X, data.target.to_numpy()


# ---------------------------------------------------------------- reconstructions


def test_reconstructions_of_rows_as_images(digits_ae):
    ae, X, _ = digits_ae
    display = ReconstructionDisplay.from_estimator(ae, X, indices=[5, 0, 7], image_shape=(8, 8))
    assert display.images_.shape == (2, 3)
    assert display.bars_ is None
    assert len(display.figure_.axes) == 6
    np.testing.assert_array_equal(display.images_[0, 0].get_array(), X[5].reshape(8, 8))
    expected = ae.reconstruct(X[[0]]).reshape(8, 8)
    np.testing.assert_allclose(display.images_[1, 1].get_array(), expected, rtol=1e-6)
    assert display.axes_[0, 0].get_ylabel() == "original"
    assert display.axes_[1, 0].get_ylabel() == "reconstruction"
    assert [ax.get_title() for ax in display.axes_[0]] == ["sample 5", "sample 0", "sample 7"]


def test_reconstructions_of_a_table_as_bars(cancer):
    det, X, _ = cancer
    display = ReconstructionDisplay.from_estimator(det, X, n_samples=2)
    assert display.images_ is None
    assert display.bars_.shape == (2, 2)
    assert all(len(bars) == X.shape[1] for bars in display.bars_.ravel())
    heights = [patch.get_height() for patch in display.bars_[0, 1]]
    np.testing.assert_allclose(heights, X.iloc[1].to_numpy())
    # 30 features are too many to label: no tick labels
    assert display.axes_[1, 0].get_xticks().size == 0


def test_reconstructions_label_few_features_with_column_names():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(40, 3)), columns=["a", "b", "c"])
    ae = _fit(Autoencoder(n_components=2, max_iter=2, random_state=0), X)
    display = ReconstructionDisplay.from_estimator(ae, X, n_samples=1)
    labels = [t.get_text() for t in display.axes_[1, 0].get_xticklabels()]
    assert labels == ["a", "b", "c"]


def test_reconstructions_of_images_from_a_conv_autoencoder():
    rng = np.random.default_rng(0)
    images = rng.uniform(size=(30, 8, 8)).astype(np.float32)
    conv = _fit(ConvAutoencoder(n_components=4, max_iter=1, random_state=0), images)
    display = ReconstructionDisplay.from_estimator(conv, images, n_samples=4)
    assert display.images_.shape == (2, 4)
    assert display.images_[1, 3].get_array().shape == (8, 8)


def test_reconstructions_split_a_given_axes(digits_ae):
    ae, X, _ = digits_ae
    fig, (left, _right) = plt.subplots(1, 2)
    display = ReconstructionDisplay.from_estimator(ae, X, n_samples=3, image_shape=(8, 8), ax=left)
    assert display.bounding_ax_ is left
    assert not left.axison
    assert display.figure_ is fig
    assert len(fig.axes) == 2 + 6


def test_reconstructions_use_an_array_of_axes(digits_ae):
    ae, X, _ = digits_ae
    _fig, axes = plt.subplots(2, 2)
    display = ReconstructionDisplay.from_estimator(ae, X, n_samples=2, image_shape=(8, 8), ax=axes)
    assert display.axes_[1, 1] is axes[1, 1]
    with pytest.raises(ValueError, match="ax must hold 6 axes"):
        ReconstructionDisplay.from_estimator(ae, X, n_samples=3, image_shape=(8, 8), ax=axes)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"indices": [0, 300]}, r"indices must be positions in X, in \[0, 300\)"),
        ({"indices": [[0, 1]]}, "indices must be a non-empty 1-D sequence"),
        ({"indices": [0.5]}, "indices must be a non-empty 1-D sequence"),
        ({"n_samples": 0}, "n_samples must be an integer >= 1"),
        ({"image_shape": (8, 7)}, r"image_shape=\(1, 8, 7\) needs 56 values"),
        ({"image_shape": (8, -8)}, "image_shape must be"),
        ({"image_shape": (2, 4, 8)}, "Only images of 1, 3 or 4 channels"),
    ],
)
def test_reconstruction_errors(digits_ae, kwargs, match):
    ae, X, _ = digits_ae
    with pytest.raises(ValueError, match=match):
        ReconstructionDisplay.from_estimator(ae, X, **kwargs)


def test_displays_need_a_fitted_estimator(digits_ae):
    from sklearn.exceptions import NotFittedError

    _, X, _ = digits_ae
    with pytest.raises(NotFittedError):
        ReconstructionDisplay.from_estimator(Autoencoder(), X)
    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(Autoencoder())


def test_constructor_and_plot_on_precomputed_arrays():
    originals = np.zeros((2, 4))
    display = ReconstructionDisplay(originals, np.ones((2, 4)), image_shape=(2, 2)).plot()
    assert display.images_.shape == (2, 2)
    with pytest.raises(ValueError, match="same shape"):
        ReconstructionDisplay(originals, np.ones((3, 4))).plot()


# ---------------------------------------------------------------- latent space


def test_latent_space_colours_categories_with_a_legend(digits_ae):
    ae, X, y = digits_ae
    display = LatentSpaceDisplay.from_estimator(ae, X, y, dims=(1, 3))
    offsets = display.scatter_.get_offsets()
    np.testing.assert_allclose(offsets, ae.transform(X)[:, [1, 3]], rtol=1e-6)
    assert [t.get_text() for t in display.legend_.get_texts()] == [str(d) for d in range(10)]
    assert display.colorbar_ is None
    assert display.ax_.get_xlabel() == "autoencoder1"
    assert display.ax_.get_ylabel() == "autoencoder3"


def test_latent_space_with_numeric_labels_gets_a_colour_bar(digits_ae):
    ae, X, _ = digits_ae
    display = LatentSpaceDisplay.from_estimator(ae, X, X.mean(axis=1))
    assert display.colorbar_ is not None
    assert display.legend_ is None


def test_latent_space_pca_projection(digits_ae):
    from sklearn.decomposition import PCA

    ae, X, _ = digits_ae
    display = LatentSpaceDisplay.from_estimator(ae, X, projection="pca")
    expected = PCA(n_components=2).fit_transform(ae.transform(X).astype(np.float64))
    np.testing.assert_allclose(
        np.abs(display.scatter_.get_offsets()), np.abs(expected), rtol=1e-5, atol=1e-6
    )
    assert display.ax_.get_xlabel().startswith("PC1 of the codes")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"dims": (0, 0)}, "dims must be two different code dimensions in \\[0, 4\\)"),
        ({"dims": (0, 4)}, "dims must be two different"),
        ({"dims": (True, 0)}, "dims must be two different"),
        ({"dims": 1}, "dims must be two different"),
        ({"projection": "tsne"}, "projection must be None or 'pca'"),
    ],
)
def test_latent_space_errors(digits_ae, kwargs, match):
    ae, X, _ = digits_ae
    with pytest.raises(ValueError, match=match):
        LatentSpaceDisplay.from_estimator(ae, X, **kwargs)


def test_latent_space_needs_two_dimensions_and_matching_labels(digits_ae):
    _, X, y = digits_ae
    one = _fit(Autoencoder(n_components=1, max_iter=1, random_state=0), X)
    with pytest.raises(ValueError, match="needs at least 2 code dimensions"):
        LatentSpaceDisplay.from_estimator(one, X)
    ae = digits_ae[0]
    with pytest.raises(ValueError, match="y has 299 labels, but X has 300 samples"):
        LatentSpaceDisplay.from_estimator(ae, X, y[:-1])


# ---------------------------------------------------------------- loss curve


def test_loss_curve_with_early_stopping_marks_the_best_epoch(digits_ae):
    _, X, _ = digits_ae
    ae = _fit(Autoencoder(max_iter=12, early_stopping=True, n_iter_no_change=3, random_state=0), X)
    display = LossCurveDisplay.from_estimator(ae)
    np.testing.assert_array_equal(display.train_line_.get_ydata(), ae.loss_curve_)
    np.testing.assert_array_equal(display.train_line_.get_xdata(), np.arange(1, ae.n_iter_ + 1))
    np.testing.assert_allclose(
        display.validation_line_.get_ydata(), -np.asarray(ae.validation_scores_)
    )
    best = int(np.argmax(ae.validation_scores_)) + 1
    assert display.best_line_.get_xdata()[0] == best
    assert display.ax_.get_xlabel() == "epoch"
    assert display.ax_.get_ylabel() == "loss"
    texts = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert texts == ["training loss", "validation loss", f"weights kept (epoch {best})"]


def test_loss_curve_without_validation(digits_ae):
    ae, _, _ = digits_ae
    display = LossCurveDisplay.from_estimator(ae, log_scale=True)
    assert display.validation_line_ is None
    assert display.best_line_ is None
    assert display.ax_.get_yscale() == "log"
    ticks = display.ax_.get_xticks()
    np.testing.assert_array_equal(ticks, np.round(ticks))
    with pytest.raises(ValueError, match="non-empty sequence"):
        LossCurveDisplay([]).plot()


def test_displays_refuse_what_is_not_axes(digits_ae):
    ae, _, _ = digits_ae
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes or None"):
        LossCurveDisplay.from_estimator(ae, ax="left")


# ---------------------------------------------------------------- generated samples


@pytest.fixture(scope="module")
def digits_vae(digits_ae):
    _, X, _ = digits_ae
    return _fit(VariationalAutoencoder(n_components=2, max_iter=2, random_state=0), X)


def test_generated_samples_from_the_prior(digits_vae):
    display = GeneratedSamplesDisplay.from_estimator(
        digits_vae, n_samples=10, random_state=3, image_shape=(8, 8)
    )
    # 10 samples in a 3 x 4 grid: two cells left empty
    assert display.axes_.shape == (3, 4)
    drawn = [image for image in display.images_.ravel() if image is not None]
    assert len(drawn) == 10
    expected = digits_vae.sample(10, random_state=3)
    np.testing.assert_allclose(drawn[9].get_array(), expected[9].reshape(8, 8), rtol=1e-6)
    assert not display.axes_[2, 3].axison


def test_generated_samples_latent_grid(digits_vae):
    display = GeneratedSamplesDisplay.from_estimator(
        digits_vae, kind="grid", n_points=4, image_shape=(8, 8)
    )
    grid, values = digits_vae.decode_grid(4)
    assert display.images_.shape == (4, 4)
    np.testing.assert_allclose(display.images_[2, 1].get_array(), grid[2, 1].reshape(8, 8))
    assert display.axes_[3, 0].get_xlabel() == f"{values[0]:.2g}"


def test_generated_samples_sweep_a_deterministic_autoencoder(digits_ae):
    ae, X, _ = digits_ae
    display = GeneratedSamplesDisplay.from_estimator(
        ae, X, kind="grid", n_points=3, dims=(0, 2), image_shape=(8, 8)
    )
    codes = ae.transform(X).astype(np.float64)
    low, high = np.quantile(codes[:, [0, 2]], [0.05, 0.95], axis=0)
    point = np.median(codes, axis=0)
    point[0], point[2] = low[0], high[1]
    expected = ae.inverse_transform(point[None])[0].reshape(8, 8)
    np.testing.assert_allclose(display.images_[0, 2].get_array(), expected, rtol=1e-5)


def test_generated_samples_errors(digits_ae, digits_vae):
    ae, X, _ = digits_ae
    with pytest.raises(TypeError, match="kind='sample' needs a generative model"):
        GeneratedSamplesDisplay.from_estimator(ae, image_shape=(8, 8))
    with pytest.raises(ValueError, match="needs data X"):
        GeneratedSamplesDisplay.from_estimator(ae, kind="grid", image_shape=(8, 8))
    with pytest.raises(ValueError, match="kind must be 'sample' or 'grid'"):
        GeneratedSamplesDisplay.from_estimator(digits_vae, kind="walk")
    with pytest.raises(ValueError, match="pass image_shape"):
        GeneratedSamplesDisplay.from_estimator(digits_vae, n_samples=4)
    with pytest.raises(ValueError, match="dims must be two different code dimensions"):
        GeneratedSamplesDisplay.from_estimator(ae, X, kind="grid", dims=(1, 1), image_shape=(8, 8))


# ---------------------------------------------------------------- anomaly scores


def test_anomaly_scores_histogram_and_threshold(cancer):
    det, X, _y = cancer
    display = AnomalyScoreDisplay.from_estimator(det, X, bins=20)
    scores = det.score_samples(X)
    bars = display.histograms_[None]
    assert len(bars) == 20
    assert sum(patch.get_height() for patch in bars) == len(X)
    assert display.threshold_line_.get_xdata()[0] == pytest.approx(det.offset_)
    assert display.ax_.get_xlabel() == "score_samples (higher = more normal)"
    share = np.mean(scores < det.offset_)
    legend = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert legend == [f"offset_ = {det.offset_:.3g} ({share:.1%} below)"]


def test_anomaly_scores_split_by_label(cancer):
    det, X, y = cancer
    display = AnomalyScoreDisplay.from_estimator(det, X, y, density=True)
    assert sorted(display.histograms_) == [0, 1]
    counts = {
        label: sum(p.get_height() * p.get_width() for p in bars)
        for label, bars in display.histograms_.items()
    }
    assert counts == {0: pytest.approx(1.0), 1: pytest.approx(1.0)}
    assert display.ax_.get_ylabel() == "density"
    with pytest.raises(ValueError, match="y has 3 labels"):
        AnomalyScoreDisplay.from_estimator(det, X, y[:3])
    with pytest.raises(ValueError, match="bins must be an integer >= 1"):
        AnomalyScoreDisplay.from_estimator(det, X, bins=0)


# ---------------------------------------------------------------- per-feature errors


def test_feature_errors_of_the_most_anomalous_samples(cancer):
    det, X, _ = cancer
    display = FeatureErrorDisplay.from_estimator(det, X, n_samples=2, n_features=4)
    worst = np.argsort(det.score_samples(X))[:2]
    errors = det.reconstruction_error(X.iloc[worst], per_feature=True)
    assert [ax.get_title() for ax in display.axes_[0]] == [f"sample {i}" for i in X.index[worst]]
    for ax, bars, (_, row) in zip(display.axes_[0], display.bars_, errors.iterrows()):
        top = row.nlargest(4)[::-1]
        assert [t.get_text() for t in ax.get_yticklabels()] == list(top.index)
        np.testing.assert_allclose([p.get_width() for p in bars], top.to_numpy(), rtol=1e-6)
    # one panel under the other: the feature names of one do not run into the next
    first, last = (ax.get_position() for ax in display.axes_[0])
    assert first.x0 == pytest.approx(last.x0) and first.y0 > last.y1
    assert [ax.get_xlabel() for ax in display.axes_[0]] == ["", "squared error"]


def test_feature_errors_of_chosen_rows_of_an_array(digits_ae):
    ae, X, _ = digits_ae
    display = FeatureErrorDisplay.from_estimator(ae, X, indices=[3], n_features=2)
    labels = [t.get_text() for t in display.axes_[0, 0].get_yticklabels()]
    assert all(label.startswith("x") for label in labels)
    assert list(display.errors.index) == [3]


def test_plotting_without_matplotlib_says_how_to_install_it(digits_ae, monkeypatch):
    ae, _, _ = digits_ae
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install 'skae\[plots\]'"):
        LossCurveDisplay.from_estimator(ae)


def test_displays_draw_into_subfigures(digits_ae, digits_vae, cancer):
    ae, X, _y = digits_ae
    det, table, _ = cancer
    fig = plt.figure(layout="constrained")
    first, second, third = fig.subfigures(1, 3)
    FeatureErrorDisplay.from_estimator(det, table, n_samples=2, ax=first.subplots(1, 2))
    GeneratedSamplesDisplay.from_estimator(
        digits_vae, n_samples=4, image_shape=(8, 8), ax=second.subplots()
    )
    ReconstructionDisplay.from_estimator(
        ae, X, n_samples=2, image_shape=(8, 8), ax=third.subplots()
    )
    # 2 + (1 bounding + 4) + (1 bounding + 4) axes
    assert len(fig.get_axes()) == 12


def test_displays_take_nested_lists(digits_ae):
    ae, X, _ = digits_ae
    rows = X[:5].tolist()
    display = ReconstructionDisplay.from_estimator(ae, rows, n_samples=2, image_shape=(8, 8))
    assert [ax.get_title() for ax in display.axes_[0]] == ["sample 0", "sample 1"]
    errors = FeatureErrorDisplay.from_estimator(ae, rows, n_samples=2).errors
    assert errors.shape == (2, 64)
    np.testing.assert_allclose(
        errors.to_numpy(), ae.reconstruction_error(X[errors.index], per_feature=True), rtol=1e-6
    )


def test_latent_space_categories_take_distinct_colours(digits_ae):
    from matplotlib import colormaps

    ae, X, y = digits_ae
    default = LatentSpaceDisplay.from_estimator(ae, X, y % 3)
    # a qualitative map gives category i its i-th colour
    for i in range(3):
        assert default.scatter_.to_rgba(i) == pytest.approx(colormaps["tab10"](i))
    # a continuous map spreads the categories over its whole range
    spread = LatentSpaceDisplay(default.codes, labels=y % 3).plot(cmap="viridis")
    for i in range(3):
        assert spread.scatter_.to_rgba(i) == pytest.approx(colormaps["viridis"]((i + 0.5) / 3))
    handles = spread.legend_.legend_handles
    assert len({tuple(h.get_markerfacecolor()) for h in handles}) == 3


def test_feature_error_display_draws_contributions(cancer):
    det, X, _ = cancer
    display = FeatureErrorDisplay.from_estimator(
        det, X, indices=[0, 1], n_features=3, kind="contribution"
    )
    expected = det.explain(X.iloc[[0]]).iloc[0].nlargest(3)[::-1]
    widths = [bar.get_width() for bar in display.bars_[0]]
    np.testing.assert_allclose(widths, expected.to_numpy(), rtol=1e-5)  # float32, other batches
    assert display.axes_[0, -1].get_xlabel() == "contribution to the score"
    with pytest.raises(ValueError, match="kind must be"):
        FeatureErrorDisplay.from_estimator(det, X, kind="shap")
