"""Every example runs in its fast mode and writes its figure."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_digits_demo_prints_the_comparison_and_writes_the_figure(tmp_path):
    env = {**os.environ, "SKAE_FAST_EXAMPLES": "1", "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "demo_digits.py"), "--output", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Held-out reconstruction MSE" in result.stdout
    assert "Most unusual held-out digits" in result.stdout
    figure = tmp_path / "digits_reconstructions.png"
    assert figure.stat().st_size > 10_000
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
