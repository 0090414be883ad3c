"""Entry point of mediation's API process: `gunicorn "mediation.api:create_app()"` (see service.py)."""

from .service import SERVICE

create_app = SERVICE.create_app
