from tests.evidence.conftest import add, bundle  # noqa: F401 - fixtures shared with tests/evidence
