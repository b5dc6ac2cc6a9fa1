# AdminTS — `make run` serves the app with a demo establishment; `make test` runs every test.
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
PYTEST_ARGS ?=

.PHONY: run test test-pg bench bench-academie lint migrate clean dsfr purge-expired translations

$(BIN)/python:
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime: $(BIN)/python requirements.txt
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

# The DSFR release files of the families' portal, pinned and sha512-checked (stdlib script: no venv
# needed); does nothing when admints/static/dsfr/ already holds that version.
dsfr:
	python3 scripts/fetch_dsfr.py

run: $(VENV)/.runtime dsfr
	$(FLASK) db upgrade
	$(FLASK) admints demo --if-empty --uai 0999999X --eleves 600
	$(FLASK) run --host 127.0.0.1 --port 5000

test: $(VENV)/.dev dsfr
	@bash scripts/system-deps.sh browser
	$(BIN)/pytest -n 2 -q $(PYTEST_ARGS)

# The same suite (browser tests aside) on a throw-away PostgreSQL cluster.
test-pg: $(VENV)/.dev dsfr
	@bash scripts/system-deps.sh postgres
	bash scripts/with-postgres.sh $(BIN)/pytest -n 2 -q -m "not browser" $(PYTEST_ARGS)

# The académie-size benches (1M accounts) are not part of it: `make bench-academie`.
bench: $(VENV)/.dev
	@for b in bench/[!_]*.py; do case $$b in *academie*) continue;; esac; \
	  echo "== $$b"; $(BIN)/python $$b || exit 1; done

# Issue 14: 500 establishments / 1M accounts on a throw-away PostgreSQL (bench/build_academie.py,
# a few minutes), then every figure of bench/academie.py on it.
bench-academie: $(VENV)/.dev
	@bash scripts/system-deps.sh postgres
	bash scripts/with-postgres.sh sh -c '$(BIN)/python bench/build_academie.py && \
	  $(BIN)/python bench/academie.py $(ACADEMIE_ARGS)'

# R-ACC-10, daily from cron (README « Daily expiry »): deletes the accounts expired today, on the
# database of DATABASE_URL (or instance/). Idempotent; PURGE_ARGS="--today 2027-01-05 --json".
purge-expired:
	$(FLASK) admints purge-expired $(PURGE_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check admints tests bench scripts app.py

# The product's corrections of Flask-Admin's French messages (admints/i18n.py); the .mo is committed.
translations: $(VENV)/.runtime
	$(BIN)/pybabel compile -d admints/translations -D admin -l fr

migrate: $(VENV)/.runtime
	$(FLASK) db migrate -m "$(m)"

clean:
	rm -rf $(VENV) .pytest_cache
