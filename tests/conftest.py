"""Hypothesis profiles for tests/test_properties.py.

``ci`` (the default) runs a fixed, small example budget, derandomized, so
that CI is quick and every run checks the same examples. ``dev`` runs many
more random examples, for a developer hunting bugs locally::

    HYPOTHESIS_PROFILE=dev python3 -m pytest tests/test_properties.py

``HYPOTHESIS_MAX_EXAMPLES=2000`` in front of that sets the examples per
property of either profile (the ``dev`` profile's default is 400).
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=12,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev",
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
if "HYPOTHESIS_MAX_EXAMPLES" in os.environ:
    settings.register_profile(
        "from-environment",
        settings(max_examples=int(os.environ["HYPOTHESIS_MAX_EXAMPLES"])),
    )
    settings.load_profile("from-environment")
