# One image for every Civic146 service: the command chooses the service and the process.
#   API:    gunicorn -c python:civic146.gunicorn_conf "intake.api:create_app()"
#   worker: python -m intake.worker
# See deploy/README.md.

# --- build: install the project and its pinned dependencies into a virtualenv ----------------------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
# Dependencies first (pyproject.toml only), so a code change does not reinstall them.
COPY pyproject.toml ./
RUN mkdir -p services && /opt/venv/bin/pip install . && /opt/venv/bin/pip uninstall -y civic146
COPY services ./services
RUN /opt/venv/bin/pip install --no-deps . \
    && /opt/venv/bin/python -c "import civic146, intake"

# --- runtime: the virtualenv only; no compiler, no pip cache, no sources --------------------------
FROM python:3.11-slim
RUN useradd --system --uid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin civic146
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    GUNICORN_BIND=0.0.0.0:8000 \
    API_METRICS_ADDR=0.0.0.0 \
    API_METRICS_PORT=9101 \
    WORKER_METRICS_ADDR=0.0.0.0 \
    WORKER_METRICS_PORT=9100
USER 10001
WORKDIR /tmp
# 8000: the API; 9101: the API's metrics (gunicorn's master); 9100: the worker's metrics.
EXPOSE 8000 9101 9100
CMD ["gunicorn", "-c", "python:civic146.gunicorn_conf", "intake.api:create_app()"]
