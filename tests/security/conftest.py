"""The security tests run each service's API under gunicorn against the real Kafka and
mongo-java-server of the test run; one API per service serves every test of the session that
asks for it (started on first use), each with its own database, dropped at the end."""

from __future__ import annotations

import pymongo
import pytest

from tests.helpers import KAFKA, MONGO
from tests.security.apis import Api


@pytest.fixture(scope="session")
def security_mongo():
    client = pymongo.MongoClient(MONGO, tz_aware=True, serverSelectionTimeoutMS=5000)
    yield client
    client.close()


def _api(name: str):
    @pytest.fixture(scope="session")
    def fixture(tmp_path_factory, security_mongo):
        api = Api(name, MONGO, KAFKA, tmp_path_factory.mktemp(f"security-{name}")).start()
        api.db = security_mongo[api.database]
        yield api
        api.stop()
        security_mongo.drop_database(api.database)

    return fixture


intake_api = _api("intake")
deliberation_api = _api("deliberation")
employment_api = _api("employment")
mediation_api = _api("mediation")


@pytest.fixture(params=["intake", "deliberation", "employment", "mediation"])
def any_api(request):
    """Each of the four APIs in turn."""
    return request.getfixturevalue(f"{request.param}_api")
