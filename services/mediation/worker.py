"""Entry point of mediation's worker process: `python -m mediation.worker` (see service.py)."""

from .service import SERVICE

if __name__ == "__main__":
    SERVICE.serve()
