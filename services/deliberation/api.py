"""Entry point of deliberation's API process: `gunicorn "deliberation.api:create_app()"` (see service.py)."""

from .service import SERVICE

create_app = SERVICE.create_app
