"""Entry point of intake's worker process: `python -m intake.worker` (see service.py): the outbox
relay, the consumer of downstream progress events and the scheduled jobs."""

from .service import SERVICE

if __name__ == "__main__":
    SERVICE.serve()
