"""What pyproject.toml declares is what the package imports, and its lower
bounds are the versions CI installs in its run at the lowest versions."""

import ast
import pathlib
import re
import sys

import pytest

tomllib = pytest.importorskip("tomllib") if sys.version_info >= (3, 11) else None
if tomllib is None:  # pragma: no cover - Python 3.10
    pytest.skip(
        "reading pyproject.toml needs tomllib (Python 3.11)", allow_module_level=True
    )

ROOT = pathlib.Path(__file__).parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
# The import name of each distribution the package's code imports.
IMPORT_NAMES = {"scikit-learn": "sklearn", "pillow": "PIL"}
# Imported only where X is that library's array, which the user brought (the
# package reaches for PyTorch's fused functions on PyTorch tensors): never
# declared, since the package index's build of it is CUDA's (docs: GPUs).
USERS_ARRAY_LIBRARIES = {"torch"}
# Distributions whose package-index builds bring CUDA (several GB) on any
# machine: no extra that CI or a CPU-only user installs may name them.
CUDA_FROM_THE_INDEX = ("torch", "cupy", "jax", "nvidia-")


def requirement(line):
    """``(distribution, lower bound or None)`` of a requirement string."""
    match = re.match(r"([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*(?:>=\s*([^,;\s]+))?", line)
    return match.group(1).lower(), match.group(3)


def release(version):
    """``"1.6"`` and ``"1.6.0"`` alike: the release's numbers, trailing zeros cut."""
    numbers = [int(part) for part in version.split(".")]
    while numbers and numbers[-1] == 0:
        numbers.pop()
    return tuple(numbers)


def imported_top_level_names():
    """Every module the package's code imports (at any depth), by its top name."""
    names = set()
    for path in (ROOT / "skl_sparseae").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"skl_sparseae"}


def test_every_package_the_code_imports_is_declared():
    core = {requirement(line)[0] for line in PROJECT["dependencies"]}
    extras = {
        requirement(line)[0]
        for lines in PROJECT["optional-dependencies"].values()
        for line in lines
    }
    # dask[distributed] brings distributed; skl2onnx brings onnx.
    provided = {"distributed": "dask", "onnx": "skl2onnx"}
    declared = {IMPORT_NAMES.get(name, name) for name in core | extras}
    missing = {
        name
        for name in imported_top_level_names()
        if name not in declared and provided.get(name) not in extras
    }
    assert missing - USERS_ARRAY_LIBRARIES == set()
    # What every import of the package needs is a core dependency, not an extra.
    assert {"numpy", "scipy", "scikit-learn", "threadpoolctl"} <= core


def test_the_test_extra_downloads_no_cuda_on_a_cpu_machine():
    # "torch" from the package index is a CUDA build with about 3 GB of
    # nvidia-* packages: the test extra leaves it out, and .ci/run asks for
    # the CPU build by its local version label, which the index never serves.
    for extra in ("test", "array-api", "callbacks"):
        names = [
            requirement(line)[0] for line in PROJECT["optional-dependencies"][extra]
        ]
        assert not [name for name in names if name.startswith(CUDA_FROM_THE_INDEX)]
    ci = (ROOT / ".ci" / "run").read_text()
    assert '"torch==2.13.0+cpu"' in ci


def test_the_lowest_versions_ci_installs_are_the_declared_lower_bounds():
    pins = {}
    for line in (ROOT / ".ci" / "minimum-versions.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower()] = version
    for line in PROJECT["dependencies"] + PROJECT["optional-dependencies"]["test"]:
        name, lower = requirement(line)
        if name in pins:
            assert release(pins[name]) == release(lower), name
    for name, lower in map(requirement, PROJECT["dependencies"]):
        assert lower is not None, f"{name} has no lower bound"
        assert name in pins, f"{name} is not in minimum-versions.txt"
        assert release(pins[name]) == release(lower), name


# Private names of the libraries the package builds on -----------------------------

THE_ONE_PLACE = "_sklearn_private.py"


def private_imports(path):
    """``(line, what)`` of each import of a private scikit-learn or skl2onnx
    module or name in the file at ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            modules, names = [node.module], [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            modules, names = [alias.name for alias in node.names], []
        else:
            continue
        for module in modules:
            parts = module.split(".")
            if parts[0] not in ("sklearn", "skl2onnx"):
                continue
            private = [part for part in parts[1:] if part.startswith("_")]
            private += [
                name
                for name in names
                if name.startswith("_") and not name.startswith("__")
            ]
            if private:
                found.append((node.lineno, f"{module}: {', '.join(private)}"))
    return found


def test_private_names_of_scikit_learn_and_skl2onnx_are_imported_in_one_module():
    elsewhere = {
        path.name: private_imports(path)
        for path in (ROOT / "skl_sparseae").rglob("*.py")
        if path.name != THE_ONE_PLACE and private_imports(path)
    }
    assert not elsewhere
    # ... where each is imported by name and says its public alternative.
    text = (ROOT / "skl_sparseae" / THE_ONE_PLACE).read_text()
    assert private_imports(ROOT / "skl_sparseae" / THE_ONE_PLACE)
    assert "import _array_api\n" not in text
    assert text.count("Public alternative") >= 5


def test_the_check_finds_a_private_import(tmp_path):
    module = tmp_path / "module.py"
    module.write_text(
        "from sklearn.utils._param_validation import Interval\n"
        "from sklearn.base import _fit_context, clone\n"
        "import skl2onnx._parse\n"
        "from sklearn.utils.validation import check_array\n"
    )
    assert [line for line, _ in private_imports(module)] == [1, 2, 3]


def test_no_private_scikit_learn_method_is_called_outside_its_override():
    for path in (ROOT / "skl_sparseae").rglob("*.py"):
        calls = re.findall(r"\._validate_params\(\)", path.read_text())
        assert not calls, path.name
