import pytest

from civic146.consumer import worker_topics
from civic146.kafka import ensure_topics
from tests.helpers import RunningRelay


@pytest.fixture
def intake_settings(base_env, monkeypatch):
    from civic146.config import load_settings
    from intake.events import PUBLISHED
    from intake.handlers import SUBSCRIPTIONS
    from intake.settings import IntakeSettings

    for k, v in base_env.items():
        monkeypatch.setenv(k, v)
    settings = load_settings(IntakeSettings)
    ensure_topics(
        settings,
        [settings.topic(t) for t in worker_topics("intake", PUBLISHED, SUBSCRIPTIONS)],
    )
    return settings


@pytest.fixture
def intake_app(intake_settings, mongo_db):
    from intake import store
    from intake.api import create_app

    app = create_app(intake_settings)
    app.config["TESTING"] = True
    app.extensions["test.relay"] = RunningRelay(
        intake_settings, [store.collection()], app.extensions["intake"].outbox
    )
    yield app
    app.extensions["test.relay"].close()


@pytest.fixture
def client(intake_app):
    return intake_app.test_client()
