# AdminTS — `make run` serves the app with a demo establishment; `make test` runs every test.
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
PYTEST_ARGS ?=

.PHONY: run serve test test-pg test-services worker beat bench bench-load bench-academie lint \
	migrate clean dsfr purge-expired translations

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
# needed); does nothing when admints/static/dsfr/ already holds that version. Also the partial
# plotly.js bundle of the statistics (scripts/fetch_plotly.py, same mechanism).
dsfr:
	python3 scripts/fetch_dsfr.py
	python3 scripts/fetch_plotly.py

run: $(VENV)/.runtime dsfr
	$(FLASK) db upgrade
	$(FLASK) admints demo --if-empty --uai 0999999X --eleves 600
	$(FLASK) run --host 127.0.0.1 --port 5000

# Production web process: migrations first, then gunicorn with WEB_CONCURRENCY workers ×
# GUNICORN_THREADS threads on GUNICORN_BIND (gunicorn.conf.py). Set DATABASE_URL (PostgreSQL),
# REDIS_URL (sessions, rate limits) and, for jobs on Celery workers, CELERY_BROKER_URL (README
# « Déployer pour une académie »).
serve: $(VENV)/.runtime dsfr
	$(FLASK) db upgrade
	exec $(BIN)/gunicorn -c gunicorn.conf.py "admints.serving:production_app()"

test: $(VENV)/.dev dsfr
	@bash scripts/system-deps.sh browser
	$(BIN)/pytest -n 2 -q $(PYTEST_ARGS)

# The same suite (browser tests aside) on a throw-away PostgreSQL cluster.
test-pg: $(VENV)/.dev dsfr
	@bash scripts/system-deps.sh postgres
	bash scripts/with-postgres.sh $(BIN)/pytest -n 2 -q -m "not browser and not services" \
	  $(PYTEST_ARGS)

# Tests marked `services` (issue 14) on a throw-away PostgreSQL cluster: each test starts its own
# redis-server (ports ADMINTS_REDIS_PORTS), Celery workers, SMTP server, and kills or restarts
# them (worker SIGKILL, Redis and PostgreSQL restarts, SMTP down).
ADMINTS_REDIS_PORTS ?= 56380-56389
test-services: $(VENV)/.dev dsfr
	@bash scripts/system-deps.sh postgres redis
	ADMINTS_REDIS_PORTS=$(ADMINTS_REDIS_PORTS) bash scripts/with-postgres.sh \
	  $(BIN)/pytest -q -m services $(PYTEST_ARGS)

# Jobs on Celery (README « Tâches sur Celery »): CELERY_BROKER_URL=redis://… (and DATABASE_URL,
# MAIL_*… as for the web app) in the environment. WORKER_CONCURRENCY processes per worker.
WORKER_CONCURRENCY ?= 2
worker: $(VENV)/.runtime
	$(BIN)/celery -A admints.worker worker --loglevel INFO --concurrency $(WORKER_CONCURRENCY)

# One beat for the whole deployment: daily expiry (R-ACC-10) at EXPIRY_HOUR:EXPIRY_MINUTE
# Europe/Paris, recovery of interrupted jobs every JOB_RECOVER_EVERY seconds.
beat: $(VENV)/.runtime
	$(BIN)/celery -A admints.worker beat --loglevel INFO

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

# 200 logged-in staff against `make serve` while notification jobs run (bench/load.py; minutes:
# not part of `make bench`). LOAD_SECONDS=20 to shorten, LOAD_DB=sqlite|postgres|both.
bench-load: $(VENV)/.dev
	ADMINTS_BENCH_LOAD=1 $(BIN)/python bench/load.py

# R-ACC-10, daily from cron (README « Daily expiry »; `make beat` does it with Celery): deletes
# the accounts expired today, on the
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
