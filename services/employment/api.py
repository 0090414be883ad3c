"""Entry point of employment's API process: `gunicorn "employment.api:create_app()"` (see service.py)."""

from .service import SERVICE

create_app = SERVICE.create_app
