"""Property-based fuzzing of the API with schemathesis, from our own OpenAPI document, against the
live app and the real Neo4j holding the seed and documented cases.

Every generated request (valid and invalid parameters, bodies, paths) must get an answer that is
not a server error, has a status code the document lists for the operation, and a body that
conforms to the schema documented for that status. The short mode (CI) sends about 200 requests;
`--run-slow` adds a long run of a few thousand.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
import schemathesis
from conftest import TEST_HOME, TEST_PORT
from fastapi.testclient import TestClient
from helpers import DOCUMENTED, SEED
from hypothesis import HealthCheck, Phase, settings
from neo4j import Driver
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from api.settings import ApiSettings
from core.settings import Settings
from ingest.pipeline import ingest_paths

SENT: Counter[int] = Counter()  # responses by status code, printed at the end
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
SHORT_EXAMPLES = 25  # per operation: ~200 requests over the document's operations
LONG_EXAMPLES = 400  # per operation: a few thousand requests
HYPOTHESIS = dict(
    deadline=None,
    derandomize=True,  # the same requests on every run: a failure is reproducible
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],  # no shrinking: report the failing case as found
)


# a request's first variant plans its queries on the server (an export with as_known_on,
# statements and the ontology: 10-20 s cold); speed is the benchmarks' business, not the fuzzer's
REQUEST_TIMEOUT = 120
UNLIMITED = 10**9  # the rate limits are the security tests' business, not the fuzzer's
APP = create_app(
    ApiSettings(
        neo4j=Settings(home=TEST_HOME, neo4j_port=TEST_PORT),
        rate_limit=UNLIMITED,
        rate_limit_anonymous=UNLIMITED,
    )
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)  # the document needs no database


@pytest.fixture(scope="module", autouse=True)
def live_app(driver: Driver, settings: Settings) -> Iterator[None]:
    """The graph holds the seed and documented cases; the app's lifespan (its driver) runs."""
    database = settings.neo4j_database
    driver.execute_query("MATCH (n) DETACH DELETE n", database_=database)
    assert ingest_paths([SEED, DOCUMENTED], driver, database=database).ok
    with TestClient(APP):
        yield
    print(f"\nschemathesis: {sum(SENT.values())} requests, by status {dict(sorted(SENT.items()))}")


@schema.parametrize()
@settings(max_examples=SHORT_EXAMPLES, **HYPOTHESIS)
def test_generated_requests_get_documented_answers_and_no_server_error(case) -> None:
    SENT[case.call_and_validate(checks=CHECKS, timeout=REQUEST_TIMEOUT).status_code] += 1


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=LONG_EXAMPLES, **HYPOTHESIS)
def test_many_generated_requests_get_documented_answers_and_no_server_error(case) -> None:
    SENT[case.call_and_validate(checks=CHECKS, timeout=REQUEST_TIMEOUT).status_code] += 1
