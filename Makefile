# Dataslot: `make run` serves the platform with its demo; `make test` checks everything.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
export HOST PORT

.PHONY: run worker beat serve test lint install install-dev browser hosts flower bench clean

$(BIN)/python:
	@scripts/check-python.sh $(PYTHON)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.txt
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## run: install, migrate, load the demo and serve on http://$(HOST):$(PORT)
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	PYTHONPATH=platform:. $(BIN)/python -m dataslot_server.serve -b $(HOST) -p $(PORT) dataslot_server.asgi:application

## worker: a scale-out worker on this machine (DATASLOT_EXECUTOR=celery and its environment; README "Scale out")
worker: install
	$(BIN)/python manage.py worker $(if $(NAME),--name $(NAME)) $(if $(CONCURRENCY),--concurrency $(CONCURRENCY))

## beat: Celery beat for cron triggers in scale-out (its environment; one or two hosts: one schedules, the other stands by)
beat: install
	$(BIN)/python manage.py beat

## flower: Celery's Flower on http://$(HOST):$(FLOWER_PORT), watching the scale-out workers (their environment; FLOWER_BASIC_AUTH=user:password)
FLOWER_PORT ?= 5555
flower: install
	PYTHONPATH=platform:. $(BIN)/celery -A dataslot_server.celery_app flower --address=$(HOST) --port=$(FLOWER_PORT)

## browser: Debian's Chromium for the page tests (installed with apt-get when root)
browser:
	@scripts/ensure-chromium.sh

## hosts: iproute2's ip, with which the scale-out tests make separate hosts (network namespaces)
hosts:
	@scripts/ensure-iproute2.sh

# The import contracts, read from the source roots; no cache left in the work tree.
LINT_IMPORTS = PYTHONPATH=platform:. $(BIN)/lint-imports --no-cache

## test: lint, then the whole suite on SQLite beside the scale-out tests and the database suites on PostgreSQL (when reachable)
test: install-dev browser hosts
	$(BIN)/ruff check .
	$(LINT_IMPORTS)
	scripts/test-suite.sh

## lint: ruff, and the import contracts of pyproject.toml (layers, no cycles; docs/architecture.md "Layers")
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(LINT_IMPORTS)

## bench: the benchmarks under bench/, each prints its figures
bench: install-dev
	@for b in bench/*.py; do echo "== $$b"; PYTHONPATH=platform:. $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var test-artifacts
