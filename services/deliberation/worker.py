"""Entry point of deliberation's worker process: `python -m deliberation.worker` (see service.py)."""

from .service import SERVICE

if __name__ == "__main__":
    SERVICE.serve()
