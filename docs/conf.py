"""Sphinx configuration of the skl_sparseae documentation.

Build the site, from the repository root, with:

    python3 -m pip install -e ".[docs]"
    python3 -m sphinx -W -b html docs docs/_build/html

and open docs/_build/html/index.html. Neither the build nor the pages need a
network: MathJax is copied into the site (sphinx-mathjax-offline). The build
runs every gallery example, about six minutes on two cores. With
SKL_SPARSEAE_DOCS_QUICK=1 it runs only examples/plot_gradient_check.py, with
the quick settings, and shows the others unrun: that is what CI does
(.ci/docs, which then checks the pages in headless Chromium with
docs/browser_check.py). docs/development.rst says more.
"""

import os
import re

import skl_sparseae

project = "skl_sparseae"
author = "The skl_sparseae developers"
copyright = "the skl_sparseae developers"
release = version = skl_sparseae.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # MathJax 3 from PyPI, copied into _static/mathjax: the formulas render
    # with no network (sphinx.ext.mathjax alone loads MathJax from a CDN).
    # It does not declare itself safe for parallel reading, so with -j the
    # -W build fails on that warning; the build is quick enough without.
    "sphinx-mathjax-offline",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

# The class pages (_templates/autosummary/class.rst) document the estimators'
# methods, the package's own and those scikit-learn's base classes give them,
# as scikit-learn's pages do.
autosummary_generate = True
numpydoc_show_class_members = True
numpydoc_class_members_toctree = False
# Cross-references to scikit-learn's glossary (:term:`fit`) resolve only with
# intersphinx; the build must work offline, so unresolved terms stay text.
numpydoc_xref_param_type = False

# Every cross-reference must resolve (-W makes a broken one fail the build),
# except those to other projects: with no network there is no intersphinx.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(sklearn|numpy|scipy|dask|skl2onnx|onnx|matplotlib)(\..*)?"),
]

QUICK = os.environ.get("SKL_SPARSEAE_DOCS_QUICK") == "1"
if QUICK:
    # The one example CI runs: under a second, and a figure for the gallery.
    os.environ["SKL_SPARSEAE_QUICK_EXAMPLES"] = "1"
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"plot_gradient_check\.py" if QUICK else r"plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
}
os.environ.setdefault("MPLBACKEND", "Agg")

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

# The page's contents list methods as fit(), not SparseAutoencoder.fit().
toc_object_entries_show_parents = "hide"

html_theme = "pydata_sphinx_theme"
html_title = f"skl_sparseae {release}"
html_theme_options = {
    # The navigation bar: the root toctree's four entries.
    "header_links_before_dropdown": 4,
    "navbar_align": "left",
    "show_prev_next": False,
    "secondary_sidebar_items": ["page-toc"],
}
# No left sidebar on the pages that are themselves lists of their sub-pages.
html_sidebars = {"api": [], "auto_examples/index": []}
# Without a default mode the theme logs "Got invalid theme mode" to the
# console on a reader's first visit.
html_context = {"default_mode": "auto"}
html_static_path = []


# scikit-learn's docstrings of those inherited methods refer to pages of its
# own site (":ref:`User Guide <metadata_routing>`"), which offline cannot be
# linked; they keep their text and say where it is.
_SKLEARN_REF = re.compile(r":ref:`([^`<]*?)\s*<[^`>]*>`")
_SKLEARN_BARE_REF = re.compile(r":ref:`[^`<]*`")
_SKLEARN_TERM = re.compile(r":term:`([^`<]*?)(\s*<[^`>]*>)?`")


def _unlink_sklearn_pages(app, what, name, obj, options, lines):
    if not getattr(obj, "__module__", "").startswith("sklearn."):
        return
    for i, line in enumerate(lines):
        line = _SKLEARN_REF.sub(r"\1 (in scikit-learn's documentation)", line)
        line = _SKLEARN_BARE_REF.sub("scikit-learn's documentation", line)
        lines[i] = _SKLEARN_TERM.sub(r"\1", line)


def setup(app):
    app.connect("autodoc-process-docstring", _unlink_sklearn_pages)
