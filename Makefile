# Holdspace: `make run` starts a demo clinic on http://127.0.0.1:8000, `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha256sum | cut -c1-12)
export HOLDSPACE_VAR_DIR ?= $(CURDIR)/var
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/postgres
# Full runs (no PYTEST_ARGS) leave JUnit XML for `make trace`; focused runs keep the last one.
JUNIT_DIR := $(HOLDSPACE_VAR_DIR)/junit
junit = $(if $(PYTEST_ARGS),,--junitxml=$(JUNIT_DIR)/$(1).xml)

.PHONY: setup run test test-sqlite test-postgres lint format lock messages bench clean
.PHONY: trace regulatory-check soup vulns content-register privacy-docs release-record

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
	$(BIN)/holdspace studies follow-ups
	$(BIN)/holdspace measures remind
	$(BIN)/holdspace courses remind
	$(BIN)/holdspace courses phases
	trap 'kill 0' INT TERM EXIT; \
	$(BIN)/holdspace db_worker --no-startup-delay & \
	$(BIN)/holdspace serve --host 127.0.0.1 --port 8000

# The whole suite on SQLite and on PostgreSQL, after lint and type checks. The two runs are
# independent (own database, own var directory) and each keeps one core busy, so they run side
# by side; each one's output is printed whole when both have finished.
test: setup lint
	scripts/ensure-system-packages
	scripts/run-side-by-side $(HOLDSPACE_VAR_DIR)/logs \
		"$(MAKE) --no-print-directory test-sqlite" \
		"$(MAKE) --no-print-directory test-postgres"
	$(MAKE) --no-print-directory regulatory-check

test-sqlite: setup
	mkdir -p $(HOLDSPACE_VAR_DIR)/test-sqlite
	HOLDSPACE_ENV=test HOLDSPACE_VAR_DIR=$(HOLDSPACE_VAR_DIR)/test-sqlite \
		DATABASE_URL=sqlite:///$(HOLDSPACE_VAR_DIR)/test-sqlite/test.sqlite3 \
		$(BIN)/pytest $(call junit,sqlite) $(PYTEST_ARGS)

test-postgres: setup
	@if scripts/ensure-postgres; then \
		HOLDSPACE_ENV=test HOLDSPACE_VAR_DIR=$(HOLDSPACE_VAR_DIR)/test-postgres \
		DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest $(call junit,postgres) $(PYTEST_ARGS); \
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

# Regulatory evidence (docs/regulatory.md). The module map, SOUP and data-category checks are
# tests in tests/regulatory/; these read the results of the full runs above.
regulatory-check: trace soup vulns content-register privacy-docs

# Traceability matrix from the JUnit XML of the last full SQLite and PostgreSQL runs.
trace: setup
	$(BIN)/python -m holdspace.regulatory trace --junit $(JUNIT_DIR)

# SOUP list and CycloneDX SBOM from requirements.lock, soup.yaml and the vendored files.
soup: setup
	$(BIN)/python -m holdspace.regulatory soup

# pip-audit over the lock: fails on an unevaluated known vulnerability; offline = NOT CHECKED.
vulns: setup
	$(BIN)/python -m holdspace.regulatory vulns

# Every rule, threshold and instrument of src/holdspace/data with source, review date, status.
content-register: setup
	$(BIN)/python -m holdspace.regulatory content

# DPIA template and record of processing (en, nb) from the model data categories; Normen map.
privacy-docs: setup
	$(BIN)/python -m holdspace.regulatory privacy

# Release record under var/release/<tag>/: run after a full `make test`. It refuses while the
# trace fails or pip-audit found an unevaluated vulnerability; ALLOW_UNCHECKED=1 records an
# unreachable vulnerability service as an open anomaly instead of refusing.
release-record: setup
	$(BIN)/python -m holdspace.regulatory release --junit $(JUNIT_DIR) $(if $(ALLOW_UNCHECKED),--allow-unchecked)
