# Civic146 — the two commands a newcomer needs: `make dev` and `make test`.
# Every target installs what it needs itself (virtualenv, Kafka and mongo-java-server jars).

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)

# Test and benchmark runs use their own servers on their own ports, so they never touch `make dev`;
# their document server keeps everything in memory (`make dev`'s keeps it in an H2 file).
TEST_INFRA := RUN_DIR=$(CURDIR)/.run/test KAFKA_PORT=29092 KAFKA_CONTROLLER_PORT=29093 MONGO_PORT=27217 MONGO_BACKEND=memory PYTHON=$(CURDIR)/$(PY)
TEST_ENV := TEST_KAFKA_BOOTSTRAP=127.0.0.1:29092 TEST_MONGODB_URI=mongodb://127.0.0.1:27217/
BENCH_INFRA := RUN_DIR=$(CURDIR)/.run/bench KAFKA_PORT=39192 KAFKA_CONTROLLER_PORT=39193 MONGO_PORT=37317 MONGO_BACKEND=memory PYTHON=$(CURDIR)/$(PY)
FUZZ_INFRA := RUN_DIR=$(CURDIR)/.run/fuzz KAFKA_PORT=49192 KAFKA_CONTROLLER_PORT=49193 MONGO_PORT=47317 MONGO_BACKEND=memory PYTHON=$(CURDIR)/$(PY)
FUZZ_EXAMPLES ?= 100
# `make test` runs the tests in this many processes (pytest-xdist): most of a run waits on servers and
# processes starting, so two processes use a 2-core machine that one leaves half idle. TEST_WORKERS=0: one.
TEST_WORKERS ?= 2

.PHONY: help venv infra-up infra-down dev demo dev-down test test-quick test-unit bench fuzz faults contracts token clean ops-tools browser-tools up down logs container-smoke

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11) and "Python 3.11 is required")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP) ## create the virtualenv and install the project

infra-up: venv ## start Kafka and the document server for development (127.0.0.1:19092, 127.0.0.1:27117)
	PYTHON=$(CURDIR)/$(PY) deploy/local/infra.sh up

infra-down: ## stop the development Kafka and document server (data is kept)
	deploy/local/infra.sh down

dev: infra-up ## start the infrastructure and every service locally; prints their URLs and a token
	@deploy/local/services.sh up
	@echo "notice board (公示栏):  http://127.0.0.1:$$((8002 + $${SERVICE_PORT_OFFSET:-0}))/board/  (English: ?lang=en)"
	@echo "staff token (huifeng):  $$(JWT_SECRET=$${JWT_SECRET:-dev-secret-change-me} $(PY) -m civic146.auth --role community_staff --community huifeng --sub dev-staff)"
	@echo "stop with: make dev-down"

demo: venv ## after `make dev`: load the bulletin's stories (deliberation with their real dates, employment, mediation) through the public APIs (idempotent)
	@JWT_SECRET=$${JWT_SECRET:-dev-secret-change-me} $(PY) deploy/demo/demo.py

dev-down: ## stop the services and the infrastructure started by `make dev`
	-deploy/local/services.sh down
	deploy/local/infra.sh down

test: venv ops-tools browser-tools lint ## lint, then run every test against real Kafka and mongo-java-server started (and stopped) for the run
	@set +e; trap '$(TEST_INFRA) deploy/local/infra.sh down --wipe >/dev/null' EXIT; \
	  $(TEST_INFRA) deploy/local/infra.sh up && $(TEST_ENV) $(PY) -m pytest -q -p no:cacheprovider \
	    $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder) $(PYTEST_ARGS)

lint: venv ## ruff: the formatter and the linter over the whole tree (settings in pyproject.toml)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

# The integration tests' routes run on an in-memory store here (TEST_STORE=memory, mongomock): those that
# read Kafka or need the document server itself are left to `make test`. The servers' addresses point
# at a closed port, so a test that would reach one fails instead of finding a server left running.
test-quick: venv ## the tests that need no servers: unit, contract, fast and the routes of the integration tests on an in-memory store, in about a minute
	TEST_STORE=memory TEST_MONGODB_URI=mongodb://127.0.0.1:1/ TEST_KAFKA_BOOTSTRAP=127.0.0.1:1 \
	  $(PY) -m pytest -q -p no:cacheprovider tests/unit tests/contract tests/fast tests/integration $(PYTEST_ARGS)

test-unit: test-quick ## the former name of test-quick

# The benchmarks print every figure beside a baseline measured in the same run (tests/bench/): intake's
# HTTP path, outbox relay, hop to deliberation, growth to 100,000 documents and a sustained run of
# SUSTAIN_SECONDS (default 300; e.g. `make bench SUSTAIN_SECONDS=30` for a quick try), then employment
# matching, then the scrub of free text (pii), then what the kit's HTTP layer adds (body checks,
# throttling), then the notice board's pages (rendered and revalidated, beside the public JSON).
# The document server gets 3 GB of heap (100,000 request documents overflow its default) and G1
# with a 20 ms pause goal (the serial collector's pauses showed in the API's p99).
bench: venv ## benchmarks beside same-run baselines, ~15 min (SUSTAIN_SECONDS=30 to shorten; not part of `make test`)
	@set +e; trap '$(BENCH_INFRA) deploy/local/infra.sh down --wipe >/dev/null' EXIT; \
	  $(BENCH_INFRA) MONGO_HEAP_OPTS="-Xmx3g -XX:+UseG1GC -XX:MaxGCPauseMillis=20" deploy/local/infra.sh up && \
	  export KAFKA_BOOTSTRAP=127.0.0.1:39192 MONGODB_URI=mongodb://127.0.0.1:37317/ $(if $(SUSTAIN_SECONDS),SUSTAIN_SECONDS=$(SUSTAIN_SECONDS)) && \
	  $(PY) tests/bench/bench_intake.py && $(PY) tests/bench/bench_employment.py && $(PY) tests/bench/bench_pii.py && \
	  $(PY) tests/bench/bench_http_kit.py && $(PY) tests/bench/bench_board.py

# schemathesis over each service's OpenAPI document (tests/security/fuzz.py): the four APIs under gunicorn
# against servers of their own, an admin and a resident token, FUZZ_EXAMPLES cases per operation and phase.
# Prints operations, cases and failures per service, each failure with a curl line and the API's log line.
fuzz: venv ## schemathesis over the four APIs' OpenAPI documents (FUZZ_EXAMPLES=100; FUZZ_SERVICES=intake,...; not part of `make test`)
	@set +e; trap '$(FUZZ_INFRA) deploy/local/infra.sh down --wipe >/dev/null' EXIT; \
	  $(FUZZ_INFRA) deploy/local/infra.sh up && \
	  KAFKA_BOOTSTRAP=127.0.0.1:49192 MONGODB_URI=mongodb://127.0.0.1:47317/ FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) \
	  $(if $(FUZZ_SERVICES),FUZZ_SERVICES=$(FUZZ_SERVICES)) $(PY) -m tests.security.fuzz

# Fault drills with numbered work on a private instance (tests/faults/): Kafka and the document server
# (H2 file) of their own on FAULTS_KAFKA_PORT (31600, +1 its controller) and FAULTS_MONGO_PORT (31617), below the ephemeral range,
# the four services under gunicorn with their workers. One line per drill, then `N passed, M failed`.
# `make faults DRILLS="poison broker-kill"` runs some; make test runs the short subset (tests/ops/test_faults.py).
faults: venv ## fault drills with numbered work on a private instance, ~15 min (DRILLS="poison ..." for some; not part of `make test`)
	$(PY) -m tests.faults $(DRILLS)

contracts: venv ## regenerate event schemas and the AsyncAPI document from the models
	$(PY) -m civic146.contracts write

token: venv ## print a development JWT: make token ROLE=resident SUB=res-1 [COMMUNITY=huifeng]
	@JWT_SECRET=$${JWT_SECRET:-dev-secret-change-me} $(PY) -m civic146.auth --role $${ROLE:-community_staff} \
	  --sub $${SUB:-dev-user} $${COMMUNITY:+--community $$COMMUNITY}

# Debian's docker-compose (validates the compose file), prometheus and promtool (alert rules and
# dashboard queries are checked for real); installed only when missing.
ops-tools: ## install the tools the ops tests use (Debian packages docker-compose, prometheus) if missing
	@command -v docker-compose >/dev/null && command -v prometheus >/dev/null && command -v promtool >/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose prometheus; }

# Debian's chromium and its chromedriver (the browser tests drive them headless; Selenium gets the
# driver's path, so nothing is downloaded) and a CJK font so Chinese text renders in screenshots;
# installed only when missing.
browser-tools: ## install the browser the browser tests use (Debian packages chromium, chromium-driver, fonts-noto-cjk) if missing
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && dpkg -s fonts-noto-cjk >/dev/null 2>&1 || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-noto-cjk; }

COMPOSE ?= $(shell command -v docker-compose || echo docker compose)

up: ## start the whole platform in containers (docker-compose; settings in .env, see deploy/README.md)
	@[ -f .env ] || { while IFS= read -r line; do case $$line in \
	    *=change-me*) echo "$${line%%=*}=$$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" ;; *) echo "$$line" ;; esac; \
	  done <.env.example >.env; echo "created .env from .env.example with new random secrets"; }
	$(COMPOSE) up -d --build
	@$(COMPOSE) ps

down: ## stop and remove the containers of `make up` (data volumes are kept)
	$(COMPOSE) down

logs: ## follow the platform's logs: make logs [SERVICE=intake-worker]
	$(COMPOSE) logs -f --tail=200 $(SERVICE)

# The operators' path run for real (deploy/container/smoke.sh, deploy/README.md "The container smoke"):
# installs and starts a docker daemon without a bridge if none runs, builds the base images from
# Debian packages when no registry answers, stand-ins for Kafka and MongoDB from the project's jars,
# and the image; runs the compose file's services with host networking on 127.0.0.1:41000-41999,
# waits for every healthcheck, drives a request intake -> deliberation -> intake, scrapes every
# /metrics, checks that every container socket is on loopback, then removes everything it started.
container-smoke: ## run docker-compose.yml's platform in containers here, check it, remove it (root, JDK, Maven; ~5 min; not in `make test`)
	deploy/container/smoke.sh

clean: dev-down ## stop everything and delete local data and the virtualenv
	rm -rf .run $(VENV)
