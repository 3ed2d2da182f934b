# Lobby: `make run` serves, `make test` runs the suite, `make bench` runs the benchmarks.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export LOBBY_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test bench setup lint clean cluster

$(VENV)/.installed: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	touch $@

setup: $(VENV)/.installed
	$(PY) manage.py lobby_setup

run: setup
	$(PY) -m config.server -b 127.0.0.1 -p $(PORT) config.asgi:application

# The suite gets its own data directory, so it never touches the one `make run` serves.
TEST_DATA_DIR ?= $(CURDIR)/var/test
test: $(VENV)/.installed
	rm -rf $(TEST_DATA_DIR)
	LOBBY_DATA_DIR=$(TEST_DATA_DIR) $(PY) -m pytest $(PYTEST_ARGS)

# Scaled mode on this machine: redis, PostgreSQL, two Daphnes and nginx (Debian packages).
cluster: $(VENV)/.installed
	$(PY) deploy/cluster.py

bench: setup
	$(PY) bench/run.py

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

# Regenerate the lock after editing pyproject.toml (needs `pip install uv`).
lock:
	uv pip compile pyproject.toml --group dev --generate-hashes --python-version 3.11 \
		--python-platform x86_64-unknown-linux-gnu -o requirements.lock -q

clean:
	rm -rf $(VENV)
