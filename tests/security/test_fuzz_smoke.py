"""A short pass of `make fuzz` inside the test run: schemathesis' fuzzing phase, a few cases per
operation, over each of the four APIs with an admin token (`make fuzz` adds the coverage phase,
more cases and a resident token)."""

from __future__ import annotations

from tests.security.fuzz import run_schemathesis

EXAMPLES = 5


def test_fuzzing_finds_no_server_error_nor_answer_outside_the_openapi_document(any_api, tmp_path):
    result = run_schemathesis(any_api, "admin", EXAMPLES, tmp_path, seed="146", phases="fuzzing")
    assert result.errors == [], result.details
    assert result.operations > 0 and result.cases >= result.operations
    assert result.failures == [], (
        f"{[(f['title'], f['operations']) for f in result.failures]}\n{result.details}"
    )
