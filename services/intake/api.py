"""Entry point of intake's API process: `gunicorn "intake.api:create_app()"` (see service.py)."""

from .service import SERVICE

create_app = SERVICE.create_app
