"""Sphinx configuration of the skl_sparseae documentation.

Build with:  python -m sphinx -W -b html docs docs/_build/html

The pages need no network: MathJax is copied into the site.
"""

import os

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
    "sphinx-mathjax-offline",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

autosummary_generate = True
autodoc_default_options = {"inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Cross-references to scikit-learn's glossary (:term:`fit`) resolve only with
# intersphinx; the build must work offline, so unresolved terms stay text.
numpydoc_xref_param_type = False
intersphinx_mapping = {}

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
}
os.environ.setdefault("MPLBACKEND", "Agg")

templates_path = []
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
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
nitpicky = False
