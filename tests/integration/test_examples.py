"""Every example runs in its fast mode, on bundled data, and writes its figure."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

CASES = {
    "demo_digits.py": (
        "digits_reconstructions.png",
        ["Held-out reconstruction MSE", "Most unusual held-out digits"],
    ),
    "plot_denoising.py": ("denoising.png", ["noisy input", "best PCA"]),
    "plot_anomaly_explanations.py": (
        "anomaly_explanations.png",
        ["ROC-AUC of -score_samples", "3 features with the largest reconstruction error"],
    ),
    "plot_conv_autoencoder.py": (
        "conv_autoencoder.png",
        ["test reconstruction MSE", "denoising (noise std 0.5)"],
    ),
    "plot_sparse_codes.py": ("sparse_codes.png", ["tutorial, 10e-6", "dead units"]),
    "plot_vae_latent_space.py": ("vae_latent_space.png", ["test ELBO", "importance-weighted"]),
    "plot_reconstructions.py": (
        "reconstructions.png",
        ["held-out reconstruction MSE: autoencoder", "weights of epoch"],
    ),
    "plot_pipeline_classifier.py": (
        "pipeline_classifier.png",
        ["raw features", "code size     PCA  Autoencoder"],
    ),
    "plot_grid_search.py": (
        "grid_search.png",
        ["12 settings x 3 folds, no labels used", "chosen (simplest within 10%"],
    ),
    "plot_colorization.py": ("colorization.png", ["training patches of 32x32", "linear map"]),
    "plot_compression.py": ("compression.png", ["bits       PCA  Autoencoder"]),
    "plot_image_to_image.py": (
        "image_to_image.png",
        ["using scikit-learn's 8x8 digits", "super-resolution", "linear map"],
    ),
    "plot_imputation.py": ("imputation.png", ["entries removed at random", "KNNImputer"]),
    "plot_streaming.py": (
        "streaming.png",
        ["5 chunks per pass", "held-out reconstruction MSE, fit_stream"],
    ),
}


def test_every_example_is_tested():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(CASES)


@pytest.mark.parametrize("script", sorted(CASES))
def test_example_runs_and_writes_its_figure(script, tmp_path):
    figure, expected = CASES[script]
    env = {**os.environ, "SKAE_FAST_EXAMPLES": "1", "MPLBACKEND": "Agg"}
    env.pop("SKAE_DATA", None)
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script), "--output", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for text in expected:
        assert text in result.stdout
    path = tmp_path / figure
    assert path.stat().st_size > 10_000
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
