"""Every implementation held to its Protocol (skl_sparseae._kernel): each
member the Protocol declares exists, and a method's parameters have the
Protocol's names, in its order. A missing or misnamed member fails."""

import inspect
import re
import typing

import numpy as np
import pytest

from skl_sparseae._array_ops import ArrayAPIOps, NumpyOps
from skl_sparseae._autoencoder_objective import AutoencoderObjective
from skl_sparseae._classifier_objective import ClassifierObjective
from skl_sparseae._dask import DaskObjective
from skl_sparseae._executors import ArrayAPIExecutor, DaskExecutor, InMemoryExecutor
from skl_sparseae._kernel import (
    ArrayOps,
    AutoencoderArrayOps,
    ChunkedObjective,
    ChunkRunner,
    ClassifierArrayOps,
    Executor,
    Objective,
)
from skl_sparseae._rica_objective import ReconstructionICAObjective
from skl_sparseae._runners import ArrayAPIRunner, ThreadRunner
from skl_sparseae._sparse_coding_objective import SparseCodingObjective

# The dunder methods a Protocol may declare (the others are Protocol's own).
DUNDERS = {"__call__", "__enter__", "__exit__"}


def protocol_members(protocol):
    """``{name: declared}``: the Protocol's methods (functions) and
    attributes (``None``), its Protocol bases' included."""
    members = {}
    for klass in reversed(protocol.__mro__):
        if klass in (object, typing.Protocol, typing.Generic):
            continue
        if not getattr(klass, "_is_protocol", False):
            continue
        for name in getattr(klass, "__annotations__", {}):
            members[name] = None
        for name, value in vars(klass).items():
            if inspect.isfunction(value) and (
                not name.startswith("__") or name in DUNDERS
            ):
                members[name] = value
    return members


def parameter_names(function):
    return [
        name
        for name in inspect.signature(function).parameters
        if name not in ("self", "cls")
    ]


def breaches(implementation, protocol, attributes_of=None):
    """What ``implementation`` (a class) lacks or names otherwise, as
    ``protocol`` declares it; ``attributes_of`` is an instance where
    attributes are set in ``__init__``."""
    found = []
    for name, declared in protocol_members(protocol).items():
        holder = implementation if attributes_of is None else attributes_of
        if declared is None:
            if not hasattr(holder, name) and name not in getattr(
                implementation, "__annotations__", {}
            ):
                found.append(f"{name}: missing attribute")
            continue
        try:
            member = inspect.getattr_static(implementation, name)
        except AttributeError:
            found.append(f"{name}: missing method")
            continue
        if isinstance(member, staticmethod):
            member = member.__func__
        if isinstance(member, np.ufunc):
            # NumPy's own function in NumpyOps: its inputs, then out=.
            expected = [p for p in parameter_names(declared) if p != "out"]
            if member.nin != len(expected):
                found.append(f"{name}: a ufunc of {member.nin} inputs")
            continue
        if not callable(member):
            found.append(f"{name}: not a method")
            continue
        if parameter_names(member) != parameter_names(declared):
            found.append(
                f"{name}{tuple(parameter_names(member))}, the Protocol says "
                f"{tuple(parameter_names(declared))}"
            )
    return found


class _Namespace:
    float64 = np.float64


IMPLEMENTATIONS = [
    (ArrayOps, NumpyOps, NumpyOps()),
    (AutoencoderArrayOps, NumpyOps, NumpyOps()),
    (ClassifierArrayOps, NumpyOps, NumpyOps()),
    (ArrayOps, ArrayAPIOps, ArrayAPIOps(_Namespace, "device")),
    (AutoencoderArrayOps, ArrayAPIOps, ArrayAPIOps(_Namespace, "device")),
    (ClassifierArrayOps, ArrayAPIOps, ArrayAPIOps(_Namespace, "device")),
    (ChunkRunner, ThreadRunner, ThreadRunner(1)),
    (ChunkRunner, ArrayAPIRunner, ArrayAPIRunner(NumpyOps())),
    (Executor, InMemoryExecutor, None),
    (Executor, DaskExecutor, None),
    (Executor, ArrayAPIExecutor, ArrayAPIExecutor(_Namespace, "device")),
    (Objective, ChunkedObjective, None),
    (Objective, AutoencoderObjective, None),
    (Objective, ClassifierObjective, None),
    (Objective, ReconstructionICAObjective, None),
    (Objective, SparseCodingObjective, None),
    (Objective, DaskObjective, None),
]


@pytest.mark.parametrize(
    "protocol, implementation, instance",
    IMPLEMENTATIONS,
    ids=[f"{p.__name__}-{i.__name__}" for p, i, _ in IMPLEMENTATIONS],
)
def test_every_implementation_keeps_its_protocol(protocol, implementation, instance):
    assert breaches(implementation, protocol, instance) == []


def test_a_missing_or_misnamed_method_breaks_the_contract():
    class Runner:
        n_threads = 1
        ops = None

        def chunk_rows(self, chunk_size, n_rows, n_features):  # misnamed
            return 1

        def run(self, n_chunks, workspaces, compute, shares, totals):
            pass

        # close() is missing

    assert breaches(Runner, ChunkRunner) == [
        "chunk_rows('chunk_size', 'n_rows', 'n_features'), the Protocol says "
        "('chunk_size', 'n_samples', 'n_features')",
        "close: missing method",
    ]


def test_the_executors_docstring_names_the_protocols_methods():
    """The prose contract in _executors points at the Protocol, and every
    method it names is one of the Protocol's."""
    from skl_sparseae import _executors

    named = set(re.findall(r"^``(\w+)\(", _executors.__doc__, flags=re.MULTILINE))
    named.discard("executor_for")  # the dispatch itself, named in the prose
    assert {"training_data_and_targets", "weighted_mean"} <= named
    assert named <= set(protocol_members(Executor))
    assert "Executor" in _executors.__doc__
