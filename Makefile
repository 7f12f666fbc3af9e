# The two commands a new user needs: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export FLASK_APP := wsgi.py

.PHONY: run test install i18n lint migrate demo worker beat serve bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Re-install only when the dependency list changes; compile the catalogs on every install
# so a fresh clone needs no manual step.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pybabel compile -d workflow/translations --statistics
	touch $(STAMP)

install: $(STAMP)
	@$(BIN)/pybabel compile -d workflow/translations >/dev/null

run: install
	TIZIM_CONFIG=development $(BIN)/flask db upgrade
	TIZIM_CONFIG=development $(BIN)/flask papers dev-seal
	TIZIM_CONFIG=development $(BIN)/flask demo load --if-empty
	TIZIM_CONFIG=development $(BIN)/flask run --host 127.0.0.1 --port 5000

# Two processes by default (the suite's databases, Redis databases and ports are per process);
# PYTEST_ARGS="-n 0 ..." runs in one.
PYTEST_ARGS ?= -n 2 --dist loadfile
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

# Extract every marked string (templates, Python, e-mails), merge into the kk/ru/en catalogs,
# compile. The keywords are Flask-Babel's: _ gettext ngettext pgettext are Babel's defaults;
# lazy_gettext/_l and lazy_ngettext/_ln are ours. Comments starting "TRANSLATORS:" reach the .po.
I18N_KEYWORDS := -k _l -k lazy_gettext -k body_text -k ngettext:1,2 -k _n:1,2 -k lazy_ngettext:1,2 -k _ln:1,2 \
	-k lazy_pgettext:1c,2
i18n: install
	$(BIN)/pybabel extract -F babel.cfg $(I18N_KEYWORDS) --add-comments=TRANSLATORS: \
		--no-location --sort-output --project Tizim -o workflow/translations/messages.pot .
	$(BIN)/pybabel update -i workflow/translations/messages.pot -d workflow/translations \
		--no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d workflow/translations --statistics

# The production processes without Docker (Procfile: gunicorn, a Celery worker, beat and a mail
# sink) on this machine's PostgreSQL and Redis, settings from SERVE_ENV (written on first use).
# Ctrl-C stops them all.
SERVE_ENV ?= instance/serve.env
serve: install
	$(BIN)/python scripts/serve.py prepare $(SERVE_ENV)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho --env $(SERVE_ENV) --procfile Procfile start

worker: install
	$(BIN)/celery -A wsgi worker --loglevel INFO --concurrency 2

beat: install
	$(BIN)/celery -A wsgi beat --loglevel INFO

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) instance/*.sqlite3 .pytest_cache
