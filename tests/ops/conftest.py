"""The live Prometheus test runs services exactly as the system tests do."""

from tests.system.conftest import service_factory  # noqa: F401  (fixture re-used, not copied)
