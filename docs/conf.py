"""Sphinx configuration: numpydoc API pages, MyST pages and a sphinx-gallery gallery.

The build needs no network: no intersphinx inventories are fetched and the
gallery links only to skae's own API. ``SKAE_FAST_EXAMPLES=1 make docs``
runs the examples with few epochs for a quick build.
"""

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import skae  # noqa: E402

project = "skae"
author = "the skae developers"
copyright = "2026, the skae developers"
release = skae.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
    "sphinx_design",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "auto_examples/*.ipynb"]
suppress_warnings = ["config.cache"]

# API pages
autosummary_generate = True
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# Markdown pages: anchors for the "page.md#section" links the pages use on GitHub
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence", "substitution"]
myst_substitutions = {"version": release}

# The gallery: every script in examples/ is run; SKAE_FAST_EXAMPLES cuts its epochs.
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/(plot_|demo_)",
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("skae",),
    "reference_url": {"skae": None},
    "backreferences_dir": "generated/backreferences",
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "abort_on_example_error": True,
}
os.environ.setdefault("MPLBACKEND", "Agg")

html_theme = "pydata_sphinx_theme"
html_title = f"skae {release}"
html_theme_options = {
    "logo": {"text": f"skae {release}"},
    "navbar_align": "left",
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_sidebars = {"index": [], "getting_started": []}
html_static_path = ["_static"]
html_css_files = ["skae.css"]
