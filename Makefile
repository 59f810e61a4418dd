# Good Mob: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run run-lan demo messages test lint fuzz chaos bench bench-quick install clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is needed (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/python -m goodmob.devserver

# HTTPS on the local network (a certificate from a local CA in var/lan/), so a phone on
# the same Wi-Fi can join and check in: it prints the address to open.
run-lan: install
	LAN=1 $(BIN)/python -m goodmob.devserver

# A crowd of simulated phones for a running `make run` (DEMO_CROWD=1 make run starts one
# with the site, one action after another).
demo: install
	DEBUG=1 $(BIN)/python manage.py demo_crowd --base-url $${SITE_URL:-http://127.0.0.1:$${PORT:-8000}}

# The Polish catalogue: collect new strings into locale/pl/*.po, then compile the .mo files
# (committed, so `make run` needs no gettext tools). Needs GNU gettext.
messages: install
	DEBUG=1 $(BIN)/python manage.py makemessages -l pl --no-wrap --no-location $(I18N_IGNORE)
	DEBUG=1 $(BIN)/python manage.py makemessages -d djangojs -l pl --no-wrap --no-location $(I18N_IGNORE)
	DEBUG=1 $(BIN)/python manage.py compilemessages -l pl --ignore=.venv

I18N_IGNORE := --ignore=.venv --ignore=staticfiles --ignore=bench --ignore=tests --ignore=var

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Style, types and the import contracts (pyproject.toml: the floor plan's arrows).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	GOODMOB_ALLOW_INSECURE_KEY=1 $(BIN)/mypy
	$(BIN)/lint-imports

# The fuzzers of `make test`, run long: schemathesis on the HTTP API, hypothesis on sockets.
fuzz: install
	FUZZ_EXAMPLES=100 FUZZ_MAX_TIME=900 FUZZ_SEED=$$RANDOM FUZZ_SOCKET_EXAMPLES=2000 \
		$(BIN)/python -m pytest -s tests/test_fuzz_api.py tests/test_fuzz_socket.py

# Benchmarks (README, "Performance"): the full run takes about half an hour.
bench: install
	$(BIN)/python bench/run.py

bench-quick: install
	$(BIN)/python bench/run.py --quick

clean:
	rm -rf $(VENV) var db.sqlite3* staticfiles
