"""What a service is, declared once: the one place a reader looks to see a service.

Each service's `service.py` holds one `Service`: its settings, the collections it keeps, the context
its code is given, its HTTP blueprints, the events it publishes and consumes, its scheduled jobs and
the domain metrics counted from what it records. Both processes are built from that declaration:
`create_app` for gunicorn (`<service>.api:create_app()`) and `serve` for the worker
(`python -m <service>.worker`). Nothing else in a service says what it is made of.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask
from mongoengine import Document
from pymongo.collection import Collection

from . import mongo, registry_routes, worker
from .config import Settings, load_settings
from .consumer import Consumer, Subscription, worker_topics
from .context import ServiceContext
from .events import EventType
from .outbox import Change, Outbox, Relay
from .registry import REGISTRY
from .web import ApiBlueprint, create_service_app


@dataclass(frozen=True)
class Service:
    title: str  # of its OpenAPI document
    description: str
    settings_class: type[Settings]
    # Collections whose documents carry an outbox: the relay publishes their events.
    aggregates: Sequence[type[Document]]
    # The service's context (civic146.context), given the settings and the process's outbox.
    context: Callable[[Any, Outbox], ServiceContext]
    blueprints: Sequence[ApiBlueprint]
    published: Sequence[EventType]
    subscriptions: Sequence[Subscription]
    jobs: Callable[[Any], list[worker.Job]]  # given the context, the worker's scheduled jobs
    # Domain metrics, counted from each committed change (the document before it, the change):
    # API, handlers and jobs alike, since every write goes through the outbox.
    count: Callable[[dict, Change], None] | None = None
    # Other collections of the service (no outbox): their indexes are made with the aggregates'.
    records: Sequence[type[Document]] = ()

    @property
    def name(self) -> str:
        return self.settings_class.model_fields["service_name"].default

    def collections(self) -> list[Collection]:
        return [document._get_collection() for document in self.aggregates]

    def ensure_indexes(self) -> None:
        for document in (*self.aggregates, *self.records):
            document.ensure_indexes()

    def outbox(self, on_commit: Callable[[str, Any], None] | None = None) -> Outbox:
        return Outbox(on_commit=on_commit, count=self.count)

    def build_context(self, settings: Settings, outbox: Outbox | None = None) -> ServiceContext:
        return self.context(settings, outbox or self.outbox())

    def load_settings(self, **overrides) -> Settings:
        return load_settings(self.settings_class, **overrides)

    def create_app(self, settings: Settings | None = None) -> Flask:
        """The API process's app (gunicorn calls it in each of its workers, after the fork)."""
        return create_service_app(
            settings or self.load_settings(),
            self.title,
            self.description,
            # Every service serves the shared registry of places and people, read-only.
            [*self.blueprints, registry_routes.bp],
            self.build_context,
        )

    def worker_topics(self) -> list[str]:
        return worker_topics(self.name, self.published, self.subscriptions)

    def serve(self) -> None:
        """The worker process's `main`: settings, database and indexes, outbox and relay, consumer,
        jobs; then run until SIGTERM."""
        settings = self.load_settings()
        REGISTRY.use(settings.reference_dir)  # checked at start, as the API's app factory does
        db = mongo.connect(settings)
        self.ensure_indexes()
        relay = Relay(settings, self.collections(), client_id=f"{self.name}-worker-relay")
        context = self.build_context(settings, self.outbox(on_commit=relay.wake))
        worker.run_worker(
            settings,
            relay=relay,
            consumer=Consumer(settings, db, self.subscriptions, context),
            jobs=self.jobs(context),
            topics=self.worker_topics(),
        )
