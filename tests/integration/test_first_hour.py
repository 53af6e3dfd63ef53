"""What a new user runs first runs quietly: the README's session and the getting-started blocks."""

import re
import warnings
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parents[2]


def python_blocks(path, after=None):
    """The ```python blocks of a Markdown file, from the heading ``after`` on if given."""
    text = path.read_text()
    if after is not None:
        text = text[text.index(after) :]
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def run_quietly(blocks):
    """Run ``blocks`` in one namespace; return every warning they raised."""
    import matplotlib

    matplotlib.use("Agg")
    namespace = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for block in blocks:
            exec(compile(block, "<docs>", "exec"), namespace)
    import matplotlib.pyplot as plt

    plt.close("all")
    return [f"{w.category.__name__}: {w.message}" for w in caught]


def test_the_readme_session_runs_without_a_warning():
    blocks = python_blocks(ROOT / "README.md", after="## A user's session")[:1]
    assert blocks and "GridSearchCV" in blocks[0]
    assert run_quietly(blocks) == []


def test_the_getting_started_blocks_run_without_a_warning():
    blocks = python_blocks(ROOT / "docs" / "getting_started.md")
    assert len(blocks) >= 4
    assert run_quietly(blocks) == []


def test_the_front_page_example_runs_without_a_warning_and_prints_what_it_shows(capsys):
    page = (ROOT / "docs" / "index.md").read_text()
    blocks = python_blocks(ROOT / "docs" / "index.md")
    assert len(blocks) == 1 and len(blocks[0].strip().splitlines()) <= 12
    assert run_quietly(blocks) == []
    printed = capsys.readouterr().out.strip()
    shown = re.search(r"```python\n.*?```\n\nIt prints:\n\n```text\n(.*?)```", page, flags=re.S)
    assert shown is not None and printed == shown.group(1).strip()
