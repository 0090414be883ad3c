"""The security tests run each service's API under gunicorn against the real Kafka and
mongo-java-server of the test run; one API per service serves every test of the session that
asks for it (started on first use), each with its own database, dropped at the end."""

from __future__ import annotations

import pymongo
import pytest

from tests.helpers import KAFKA, MONGO
from tests.processes import stop_services
from tests.security.apis import Api


@pytest.fixture(scope="session")
def security_mongo():
    client = pymongo.MongoClient(MONGO, tz_aware=True, serverSelectionTimeoutMS=5000)
    yield client
    client.close()


@pytest.fixture(scope="session")
def started_apis(security_mongo):
    """The APIs the session started: stopped all at once at its end, then their databases dropped."""
    apis: list[Api] = []
    yield apis
    stop_services(api.service for api in apis)
    for api in apis:
        security_mongo.drop_database(api.database)


def _api(name: str):
    @pytest.fixture(scope="session")
    def fixture(tmp_path_factory, security_mongo, started_apis):
        api = Api(name, MONGO, KAFKA, tmp_path_factory.mktemp(f"security-{name}"))
        started_apis.append(api)
        api.start()
        api.db = security_mongo[api.database]
        return api

    return fixture


intake_api = _api("intake")
deliberation_api = _api("deliberation")
employment_api = _api("employment")
mediation_api = _api("mediation")


@pytest.fixture(params=["intake", "deliberation", "employment", "mediation"])
def any_api(request):
    """Each of the four APIs in turn."""
    return request.getfixturevalue(f"{request.param}_api")
