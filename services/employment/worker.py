"""Entry point of employment's worker process: `python -m employment.worker` (see service.py)."""

from .service import SERVICE

if __name__ == "__main__":
    SERVICE.serve()
