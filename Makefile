# The targets a new user and CI run. `make test` and `make demo` set up their own venv.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: setup demo test lint format archive clean bench docs

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[tutorial,prometheus,test]'
	touch $@

demo: setup
	$(BIN)/ska-tango-event-monitor-tutorial demo $(DEMO_ARGS)

test: setup lint
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

archive: diagnose-missing-events.tar.bz2

diagnose-missing-events.tar.bz2: $(wildcard tutorial/diagnose-missing-events/*) $(wildcard src/ska_tango_event_monitor/tutorial/*.py)
	bash tutorial/make-archive.sh $@

clean:
	rm -rf $(VENV) build dist *.egg-info diagnose-missing-events.tar.bz2

bench: setup
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

docs: setup
	$(BIN)/sphinx-build -W --keep-going -b html docs build/docs
