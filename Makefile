# catcpanel: `make run` serves the demo, `make test` runs the whole suite. Both install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
CHROMIUM := /usr/bin/chromium

.PHONY: run test lint bench browser install clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $@

# Debian's Chromium drives the browser tests (Playwright's own download fails offline).
browser:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "Chromium is missing: run 'sudo apt-get install chromium' (Debian) and try again."; exit 1; fi; }

run: install
	DEBUG=true $(BIN)/python manage.py migrate --no-input
	DEBUG=true SITE_URL=http://$(HOST):$(PORT) $(BIN)/python manage.py seed_demo
	@# The worker (usage history, notifications) runs beside the web server and stops with it. It
	@# starts once the server answers: its first round asks the demo's sandbox, which it serves.
	( $(BIN)/python scripts/wait_for_url.py http://$(HOST):$(PORT)/healthz; \
	  DEBUG=true SITE_URL=http://$(HOST):$(PORT) exec $(BIN)/python manage.py run_huey ) & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	DEBUG=true SITE_URL=http://$(HOST):$(PORT) $(BIN)/python manage.py runserver $(HOST):$(PORT)

# Browser and sandbox tests mostly wait on sockets: a process per core (at most 4) halves the run.
PYTEST_ARGS ?= -n auto --maxprocesses=4

test: install browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile

bench: install browser
	$(BIN)/python -m benchmarks $(if $(QUICK),--quick,)

clean:
	rm -rf $(VENV) var staticfiles
