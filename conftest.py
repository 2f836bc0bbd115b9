"""Test-session set-up shared by the test suite and the doctests."""

import importlib.util
import os

# scikit-learn's check_array_api_input (part of check_estimator) runs only when
# scipy's array API support is switched on, and it must be on before scipy is
# first imported. Without it that check is skipped instead of passing.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

# The ONNX export is optional (the "onnx" extra): without skl2onnx and
# onnxruntime its module cannot be imported, so its doctests are not collected.
# tests/saved_models/make.py wrote the saved models' files: not a test.
collect_ignore = ["tests/saved_models"]
if any(importlib.util.find_spec(name) is None for name in ("skl2onnx", "onnxruntime")):
    collect_ignore.append("skl_sparseae/onnx.py")
# So are Dask arrays (the "dask" extra), and the examples' matplotlib and
# pillow, which the run at the minimum versions of the core dependencies
# goes without.
if any(importlib.util.find_spec(name) is None for name in ("dask", "distributed")):
    collect_ignore.append("tests/test_dask.py")
if importlib.util.find_spec("matplotlib") is None:
    collect_ignore.append("skl_sparseae/plotting.py")
if importlib.util.find_spec("PIL") is None:
    collect_ignore.append("skl_sparseae/datasets.py")
