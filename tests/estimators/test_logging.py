"""What training prints: clean lines in a file, colours and bars on a screen only."""

import io
import sys

import numpy as np
import pytest

from skae import Autoencoder, fit_stream
from skae._logging import on_screen

ESCAPE = "\x1b["


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def rows():
    return np.random.default_rng(0).normal(size=(300, 5)).astype(np.float32)


def _printed(monkeypatch, stream, fit):
    monkeypatch.setattr(sys, "stdout", stream)
    monkeypatch.setattr(sys, "stderr", stream)
    fit()
    return stream.getvalue()


@pytest.mark.parametrize("verbose", [1, 2])
def test_a_log_file_gets_plain_lines_without_bars_or_escape_codes(rows, monkeypatch, verbose):
    ae = Autoencoder(2, max_iter=4, tol=0.0, verbose=verbose, random_state=0)
    out = _printed(monkeypatch, io.StringIO(), lambda: ae.fit(rows))
    assert ESCAPE not in out
    assert "\r" not in out and "it/s" not in out and "|" not in out
    lines = out.strip().splitlines()
    assert lines[0].split() == ["epoch", "train_loss", "dur"]
    assert [line.split()[0] for line in lines[2:]] == ["1", "2", "3", "4"]
    assert "progress_bar" not in dict(ae.net_.callbacks_)


def test_a_terminal_gets_colours_and_a_progress_bar(rows, monkeypatch):
    ae = Autoencoder(2, max_iter=3, tol=0.0, verbose=2, random_state=0)
    out = _printed(monkeypatch, _Terminal(), lambda: ae.fit(rows))
    assert ESCAPE in out  # the best losses are coloured
    assert "progress_bar" in dict(ae.net_.callbacks_)


def test_partial_fit_continues_one_table(rows, monkeypatch):
    ae = Autoencoder(2, verbose=1, random_state=0)

    def three_chunks():
        for chunk in np.array_split(rows, 3):
            ae.partial_fit(chunk)

    out = _printed(monkeypatch, io.StringIO(), three_chunks)
    assert out.count("train_loss") == 1
    assert [line.split()[0] for line in out.strip().splitlines()[2:]] == ["1", "2", "3"]


def test_fit_stream_reports_each_chunk_and_pass(rows, monkeypatch):
    ae = Autoencoder(2, verbose=1, random_state=0)
    out = _printed(
        monkeypatch, io.StringIO(), lambda: fit_stream(ae, rows, n_epochs=2, chunk_size=100)
    )
    stream_lines = [line for line in out.splitlines() if line.startswith("fit_stream:")]
    assert len(stream_lines) == 2 * 3 + 2
    assert stream_lines[2].startswith("fit_stream: pass 1/2, chunk 3: 100 rows (300 this pass)")
    assert f"loss {ae.net_.history[2, 'train_loss']:.4g}" in stream_lines[2]
    assert stream_lines[3].startswith("fit_stream: pass 1/2 done: 3 chunks, 300 rows")
    assert stream_lines[-1].startswith("fit_stream: pass 2/2 done")


def test_fit_stream_is_quiet_without_verbose(rows, capsys):
    fit_stream(Autoencoder(2, random_state=0), rows, n_epochs=2, chunk_size=100)
    assert capsys.readouterr().out == ""


def test_fit_stream_reports_estimators_without_a_loss_curve(rows, capsys):
    from sklearn.decomposition import IncrementalPCA

    pca = IncrementalPCA(2)
    pca.verbose = 1
    fit_stream(pca, rows, chunk_size=150)
    out = capsys.readouterr().out
    assert "fit_stream: pass 1/1, chunk 2: 150 rows (300 this pass) (" in out
    assert "loss" not in out


def test_on_screen_tells_files_from_terminals():
    assert on_screen(_Terminal())
    assert not on_screen(io.StringIO())
    closed = io.StringIO()
    closed.close()
    assert not on_screen(closed)
