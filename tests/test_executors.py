"""The one dispatch point: executor_for(X) and the executors' contract."""

import pathlib
import re

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn

from skl_sparseae import _executors
from skl_sparseae._executors import DASK, IN_MEMORY, ArrayAPIExecutor, executor_for

PACKAGE = pathlib.Path(_executors.__file__).parent


@pytest.mark.parametrize(
    "make",
    [
        lambda X: X,
        sp.csr_matrix,
        sp.csc_matrix,
        lambda X: X.tolist(),
        lambda X: pytest.importorskip("pandas").DataFrame(X),
    ],
    ids=["ndarray", "csr", "csc", "list", "DataFrame"],
)
def test_in_memory_input_runs_on_the_threads(make):
    assert executor_for(make(np.ones((3, 2)))) is IN_MEMORY


def test_dask_collections_run_on_dask():
    da = pytest.importorskip("dask.array")
    assert executor_for(da.ones((3, 2), chunks=2)) is DASK


def test_device_arrays_run_where_they_are_under_array_api_dispatch():
    torch = pytest.importorskip("torch")
    if not hasattr(pytest.importorskip("sklearn.utils._array_api"), "move_to"):
        pytest.skip("array API input needs scikit-learn 1.9")
    X = torch.ones((3, 2), dtype=torch.float64)
    assert executor_for(X) is IN_MEMORY  # dispatch off: converted to NumPy
    with sklearn.config_context(array_api_dispatch=True):
        executor = executor_for(X)
        assert isinstance(executor, ArrayAPIExecutor)
        assert executor.device == X.device
        assert executor_for(np.ones((3, 2))) is IN_MEMORY
        assert executor_for(sp.csr_matrix(np.ones((3, 2)))) is IN_MEMORY


def test_the_executors_offer_the_same_methods():
    def public(executor):
        return {name for name in dir(executor) if not name.startswith("_")}

    class Namespace:
        float64 = np.float64

    # (An ArrayAPIExecutor's ops are made with it, for its namespace and
    # device, which it also keeps.)
    on_a_device = ArrayAPIExecutor(Namespace, "device")
    assert public(IN_MEMORY) == public(DASK) == public(on_a_device) - {"xp", "device"}
    assert IN_MEMORY.in_memory and not DASK.in_memory


def test_only_the_dispatch_and_the_dask_executor_ask_whether_x_is_dask():
    askers = sorted(
        path.name
        for path in PACKAGE.glob("*.py")
        if re.search(r"\bis_dask_collection\(", path.read_text())
    )
    assert askers == ["_dask.py", "_executors.py"]
