"""Shared test configuration: hypothesis profiles (a quick default, a thorough one for CI, and a
derandomized small one for mutation testing, `make mutate`, so a verdict does not depend on the
draw)."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("default", max_examples=100, deadline=None)
settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "mutation",
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
_profile = os.environ.get("LPPERP_HYPOTHESIS") or ("ci" if os.environ.get("CI") == "true" else "default")
settings.load_profile(_profile)
