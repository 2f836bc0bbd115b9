"""The GPUs page's code runs as printed, on PyTorch's CPU device.

The page's Python blocks are one program (the second uses the first's model
and data). Here it runs in a fresh interpreter, since it sets
SCIPY_ARRAY_API before scipy is imported, with the GPU's device name and the
sizes made small: nothing else of the text is changed, so an error a reader
would meet on a GPU in the calls themselves (a wrong argument, a function
that does not take a module) fails here first.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

PAGE = Path(__file__).parents[1] / "docs" / "gpus.rst"

# What the CPU run changes in the page's code: the device, and a fit small
# enough for a test.
ON_THE_CPU = {
    'device="cuda"': 'device="cpu"',
    "1_000_000, 784": "300, 16",
    "n_components=196": "n_components=6",
}

# Run after the page's code: what its comments say holds.
CHECKS = """
import numpy as np
assert isinstance(codes, torch.Tensor) and codes.shape == (300, 6)
assert isinstance(on_host.components_, np.ndarray)
assert isinstance(on_gpu.components_, torch.Tensor)
assert on_gpu.components_.device == X.device
torch.testing.assert_close(codes_again, codes)
print("page checks passed")
"""


def python_blocks(text):
    """The indented bodies of the page's ``.. code-block:: python`` blocks."""
    blocks = re.findall(
        r"^\.\. code-block:: python\n\n((?:(?:   .*)?\n)+)", text, flags=re.MULTILINE
    )
    return ["\n".join(line[3:] for line in block.splitlines()) for block in blocks]


def test_the_page_has_the_blocks_this_test_runs():
    blocks = python_blocks(PAGE.read_text())
    assert len(blocks) == 2
    program = "\n".join(blocks)
    for gpu in ON_THE_CPU:
        assert gpu in program, f"the page no longer has {gpu!r}: update ON_THE_CPU"


def test_the_page_code_runs_on_pytorch_cpu_tensors():
    pytest.importorskip("torch")
    program = "\n".join(python_blocks(PAGE.read_text()))
    for gpu, cpu in ON_THE_CPU.items():
        program = program.replace(gpu, cpu)
    environment = {k: v for k, v in os.environ.items() if k != "SCIPY_ARRAY_API"}
    completed = subprocess.run(
        [sys.executable, "-W", "error", "-c", program + CHECKS],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    assert "cpu" in completed.stdout
    assert "page checks passed" in completed.stdout
