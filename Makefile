# Holdspace: `make run` starts a demo clinic on http://127.0.0.1:8000, `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha256sum | cut -c1-12)
export HOLDSPACE_VAR_DIR ?= $(CURDIR)/var
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/postgres

.PHONY: setup run test test-sqlite test-postgres lint format lock messages bench clean

setup: $(STAMP)

$(STAMP):
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-* && touch $@

# The background worker (reminders) runs beside the server and stops with it.
run: setup
	$(BIN)/holdspace migrate --no-input
	$(BIN)/holdspace demo --if-empty
	$(BIN)/holdspace measures remind
	$(BIN)/holdspace courses remind
	$(BIN)/holdspace courses phases
	trap 'kill 0' INT TERM EXIT; \
	$(BIN)/holdspace db_worker --no-startup-delay & \
	$(BIN)/holdspace serve --host 127.0.0.1 --port 8000

# The whole suite on SQLite, then again on PostgreSQL, after lint and type checks.
test: setup lint
	scripts/ensure-system-packages
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite: setup
	HOLDSPACE_ENV=test DATABASE_URL=sqlite:///$(HOLDSPACE_VAR_DIR)/test.sqlite3 $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: setup
	@if scripts/ensure-postgres; then \
		HOLDSPACE_ENV=test DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest $(PYTEST_ARGS); \
	else echo "PostgreSQL run skipped: no server (it is required in CI)."; fi

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: setup
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

# Re-pin every dependency (with hashes) after editing pyproject.toml.
lock: setup
	$(BIN)/pip-compile --quiet --extra dev --generate-hashes --allow-unsafe --strip-extras \
		-o requirements.lock pyproject.toml

# Collect new strings for translation, then compile them (needs GNU gettext).
messages: setup
	cd src/holdspace && ../../$(BIN)/holdspace makemessages -l nb --no-obsolete --ignore "static/*"
	cd src/holdspace && ../../$(BIN)/holdspace compilemessages -l nb

clean:
	rm -rf $(VENV) var test-artifacts .pytest_cache .mypy_cache .ruff_cache

# Speed figures (printed, never asserted): see bench/.
bench: setup
	$(BIN)/python bench/client_list.py
