"""Hypothesis profiles for the property tests, loaded on import.

- ``default``: quick, for local runs (100 examples per property).
- ``ci``: at least 2 000 examples per property, no example database (a fresh clone each run).
- ``deep``: 10 000 examples per property, for a long hunt.

``HYPOTHESIS_PROFILE`` picks one by name; without it, ``ci`` when the ``CI`` environment
variable is set (as the CI runner does), else ``default``. Deadlines are off everywhere: the
tests run on a shared 2-core machine and a slow example is not a bug. Tests that set their own
``@settings(max_examples=...)`` keep it.

Import this module from ``tests/conftest.py`` (``import hypothesis_profiles  # noqa: F401``) so
every test module sees the same profile; test modules that rely on it import it too.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILES = {"default": 100, "ci": 2_000, "deep": 10_000}
"""Profile name → examples per property."""

_SLOW_IS_FINE = [HealthCheck.too_slow, HealthCheck.data_too_large]

settings.register_profile("default", max_examples=PROFILES["default"], deadline=None)
settings.register_profile(
    "ci",
    max_examples=PROFILES["ci"],
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=_SLOW_IS_FINE,
)
settings.register_profile(
    "deep",
    max_examples=PROFILES["deep"],
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=_SLOW_IS_FINE,
)


def selected() -> str:
    """The profile this run uses (see the module docstring)."""
    name = os.environ.get("HYPOTHESIS_PROFILE", "").strip()
    if name:
        if name not in PROFILES:
            raise ValueError(
                f"HYPOTHESIS_PROFILE={name!r}: expected one of {', '.join(sorted(PROFILES))}"
            )
        return name
    return "ci" if os.environ.get("CI") else "default"


settings.load_profile(selected())
