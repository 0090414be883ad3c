"""Baseline for the HTTP benchmark: a bare Flask endpoint that parses the same JSON body and
answers 201, served by the same gunicorn settings as the services (no auth, validation, database)."""

from flask import Flask, request


def create_app() -> Flask:
    app = Flask(__name__)

    @app.post("/v1/requests")
    def submit():
        body = request.get_json()
        return {"id": "bare", "status": "submitted", "echo": len(body)}, 201

    @app.get("/healthz")
    def healthz():
        return {"status": "alive"}

    @app.get("/readyz")  # the start-up check of tests/processes.py, as on the services
    def readyz():
        return {"status": "ready"}

    return app
