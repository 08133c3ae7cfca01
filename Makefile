# depllc console: the two commands are `make run` and `make test`.
# Installs come from the committed lock (uv.lock) through uv, bootstrapped from PyPI
# into .tools/; where uv cannot be had, pip installs the same pins from requirements/.
PYTHON     ?= python3
UV_VERSION := 0.13.9
VENV       := .venv
BIN        := $(VENV)/bin
TOOLS      := .tools
UV         := $(TOOLS)/bin/uv
ARGS       ?=
# Python may cache compiled modules (.pyc): uv installs without them, and every process
# of the suite (xdist workers, the signal tests' children) would otherwise compile
# Textual, botocore and moto again, and pytest rewrite every test module again.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test lint typecheck bench lock clean

$(TOOLS)/.ready:
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION) \
	  || echo "uv unavailable: installing with pip from requirements/"
	touch $@

# install(EXTRAS, REQUIREMENTS, SYNC-FLAGS): uv sync from the lock, or pip from the export.
define install
	if [ -x $(UV) ]; then \
	  $(UV) sync --quiet --frozen --python $(PYTHON) $(1) $(3); \
	else \
	  [ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV); \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check -r $(2) \
	  && $(BIN)/python -m pip install --quiet --no-deps -e .; \
	fi
endef

$(VENV)/.run-installed: pyproject.toml uv.lock | $(TOOLS)/.ready
	$(call install,--extra sandbox,requirements/run.txt,--inexact)
	touch $@

$(VENV)/.test-installed: pyproject.toml uv.lock | $(TOOLS)/.ready
	$(call install,--extra sandbox --extra test,requirements/test.txt,)
	touch $@ $(VENV)/.run-installed

run: $(VENV)/.run-installed
	$(BIN)/depllc $(ARGS)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.test-installed
	$(BIN)/mypy

# Three workers on two cores: many Pilot and signal tests wait more than they compute.
# Tests go out one by one (modules with costly module fixtures are kept on one worker
# by their xdist_group mark).
test: lint typecheck
	MONGODB_URI=$${MONGODB_URI:-mongomock://} $(BIN)/python -m pytest -q -n 3 --dist loadgroup

bench: $(VENV)/.test-installed
	for f in benchmarks/*.py; do $(BIN)/python $$f || exit 1; done

# Refresh the lock after changing dependencies in pyproject.toml, and the pip exports.
lock: $(TOOLS)/.ready
	$(UV) lock --upgrade
	$(UV) export --quiet --frozen --no-emit-project --extra sandbox -o requirements/run.txt
	$(UV) export --quiet --frozen --no-emit-project --extra sandbox --extra test \
	  -o requirements/test.txt

clean:
	rm -rf $(VENV) $(TOOLS) build dist .mypy_cache .ruff_cache .pytest_cache
