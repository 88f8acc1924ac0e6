# Tideover — the verbs people expect: make test | up | down | demo | story | bench | lint | typecheck | topics
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_VERSION ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := libs/contracts libs/runtime services/overdue_detection services/notification \
            services/negotiation_intake services/plan_calculation services/repayment_tracking services/scheduler libs/reconcile libs/testkit libs/simulator
SRC_DIRS := $(addsuffix /src,$(PACKAGES))

DEMO_LOANS ?= 2000
DEMO_DAYS ?= 150
DEMO_PAGE_SHARE ?= 0.3

export KAFKA_BOOTSTRAP_SERVERS ?= 127.0.0.1:9092
export DATABASE_URL ?= postgresql://tideover:tideover@127.0.0.1:5432/tideover?sslmode=disable

.PHONY: help
help:
	@echo "make test       lint, type checks, unit, integration and end-to-end tests (starts Kafka and Postgres)"
	@echo "make unit       the unit tests alone, with no server (Kafka and Postgres may be stopped)"
	@echo "make demo       start everything, simulate a loan book (2,000 loans, 150 days), print a summary, write var/simulation/report.html"
	@echo "make story      start everything and narrate three borrowers' journeys, event by event"
	@echo "make up / down  start / stop Kafka, Postgres, every service and the scheduler (system clock; logs in var/log)"
	@echo "make reset      stop everything and forget all data (Kafka's log and the services' schemas)"
	@echo "make lint       ruff (checks and format) and the import-layer contract"
	@echo "make typecheck  mypy --strict on every package"
	@echo "make topics     create every topic and its .dlq, then produce and consume a probe"
	@echo "make bench      benchmarks; figures printed and written to var/bench/<name>.json"
	@echo "make contracts  regenerate JSON Schemas, golden examples and asyncapi.json (refuses breaking changes)"
	@echo "make chart      the Helm chart (deploy/helm/tideover): helm lint, helm template, manifests checked against Kubernetes' schemas"

$(BIN)/.installed: requirements-dev.txt constraints.txt $(addsuffix /pyproject.toml,$(PACKAGES))
	@command -v $(PYTHON_VERSION) >/dev/null || { echo "need $(PYTHON_VERSION)"; exit 1; }
	$(PYTHON_VERSION) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -r requirements-dev.txt $(addprefix -e ,$(PACKAGES))
	touch $@

.PHONY: venv
venv: $(BIN)/.installed

.PHONY: infra
infra: venv
	deploy/kafka/kafka.sh start
	deploy/postgres/postgres.sh start
	$(BIN)/tideover-topics --probe

.PHONY: browser
browser:
	deploy/browser/chromium.sh
	deploy/browser/axe.sh

.PHONY: topics
topics: venv
	$(BIN)/tideover-topics --probe

.PHONY: lint
lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

.PHONY: typecheck
typecheck: venv
	$(BIN)/mypy $(SRC_DIRS)

.PHONY: contracts
contracts: venv
	$(BIN)/tideover-contracts export

# The unit tests alone: no Kafka, no Postgres, no browser; seconds to a minute.
.PHONY: unit
unit: venv
	$(BIN)/pytest -m "not integration and not e2e and not chart" -q

.PHONY: test
test: infra browser lint typecheck
	$(BIN)/tideover-contracts check
	$(BIN)/pytest

# helm is built once from its Go module into var/tools (deploy/helm/helm.sh); no cluster needed.
.PHONY: chart
chart: venv
	deploy/helm/helm.sh
	$(BIN)/pytest tests/deploy/test_helm_chart.py

.PHONY: bench
bench: infra
	$(BIN)/python -m benchmarks.plans
	$(BIN)/python -m benchmarks.intake
	$(BIN)/python -m benchmarks.notification
	$(BIN)/python -m benchmarks.tracking
	$(BIN)/python -m benchmarks.simulation
	$(BIN)/python -m benchmarks.overdue
	$(BIN)/python -m benchmarks.table

# As production runs: the system clock, and the scheduler closing each day at the cut-off.
.PHONY: up
up: infra
	deploy/services.sh start system

# The demo and the story drive the clock themselves: the simulator closes the business days.
.PHONY: up-simulated
up-simulated: infra
	deploy/services.sh start simulated

.PHONY: reset
reset: down  # a fresh system: Kafka's data and the services' schemas gone (the business clock starts over)
	deploy/kafka/kafka.sh reset
	deploy/postgres/postgres.sh start
	deploy/postgres/postgres.sh reset-db

.PHONY: down
down:
	-deploy/services.sh stop
	-deploy/kafka/kafka.sh stop
	-deploy/postgres/postgres.sh stop

# The simulator and the story ask the query APIs with the operator's service key (deploy/services.sh).
.PHONY: demo
demo: up-simulated
	TIDEOVER_SERVICE_KEY="$$(deploy/services.sh operator-key)" \
	  $(BIN)/tideover-simulate --loans $(DEMO_LOANS) --days $(DEMO_DAYS) --page-share $(DEMO_PAGE_SHARE) --out var/simulation

.PHONY: story
story: up-simulated
	TIDEOVER_SERVICE_KEY="$$(deploy/services.sh operator-key)" $(BIN)/python tools/demo/skeleton_demo.py
