# The targets a new user and CI run. `make test` and `make demo` set up their own venv.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
# Sardana, the third-party control system of tests/test_third_party_sardana.py, in a venv of
# its own: its pytest plugin would load (and fail on its deprecation warnings) in ours
SARDANA_VENV ?= .venv-sardana
SARDANA ?= sardana==3.7.*

.PHONY: setup sardana prometheus demo test lint format archive clean bench docs

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[tutorial,prometheus,test]'
	touch $@

sardana: $(SARDANA_VENV)/.installed

# the same pytango as the monitor's venv (read from it), so Sardana runs on the Tango we test
$(SARDANA_VENV)/.installed: $(VENV)/.installed Makefile
	$(PYTHON) -m venv $(SARDANA_VENV)
	$(SARDANA_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SARDANA_VENV)/bin/python -m pip install --quiet '$(SARDANA)' \
		"pytango==$$($(BIN)/python -c 'import importlib.metadata as m; print(m.version("pytango"))')"
	touch $@

# Prometheus' own prometheus and promtool, for the tests of the alert rules (Debian's package;
# as root). Without them those tests are skipped, unless REQUIRE_PROMETHEUS=1 (CI).
prometheus:
	command -v promtool >/dev/null && command -v prometheus >/dev/null \
		|| (apt-get update -qq && apt-get install -y -qq prometheus)

demo: setup
	$(BIN)/ska-tango-event-monitor-tutorial demo $(DEMO_ARGS)

test: setup lint sardana
	SARDANA_VENV=$(abspath $(SARDANA_VENV)) $(BIN)/pytest

# ruff, the layers of the package (import-linter contracts in pyproject.toml), the types
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

archive: diagnose-missing-events.tar.bz2

diagnose-missing-events.tar.bz2: $(wildcard tutorial/diagnose-missing-events/*) $(wildcard src/ska_tango_event_monitor/tutorial/*.py)
	bash tutorial/make-archive.sh $@

clean:
	rm -rf $(VENV) $(SARDANA_VENV) build dist *.egg-info diagnose-missing-events.tar.bz2

bench: setup
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

docs: setup
	$(BIN)/sphinx-build -W --keep-going -b html docs build/docs
