# The two commands a newcomer needs: `make demo` and `make test`.
SHELL := /bin/bash
# pyenv's 3.13 if present (its shim needs PYENV_VERSION), else python3.13 on PATH.
PYTHON313 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13) \
	$(shell command -v python3.13 2>/dev/null))
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.lock layers/shared/requirements.txt | sha1sum | cut -c1-12)

.PHONY: install test lint layers typecheck cfn-lint built-layer console-browser pytest demo up bench lock build validate clean

install: $(STAMP)

$(STAMP): requirements.lock layers/shared/requirements.txt
	test -x $(PY) || $(PYTHON313) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	rm -f $(VENV)/.installed-*
	touch $@

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check layers functions

# The layer contracts of pyproject.toml ([tool.importlinter]): a wrong import fails here.
layers: install
	PYTHONPATH=layers/shared $(VENV)/bin/lint-imports

typecheck: install
	$(VENV)/bin/mypy

cfn-lint: install
	$(VENV)/bin/cfn-lint template.yaml

# The layer as it ships, by its own Makefile (what `sam build` runs), for this machine:
# the lock test then compares a built layer with the test environment and the build
# test checks its .pyc. Dependencies are fetched again only when the pins change.
built-layer: install
	$(PY) -c "from bench.cold_start import DEFAULT_LAYER, build_layer; build_layer(DEFAULT_LAYER)"

# The web console's browser tests drive Debian's Chromium (browsers cannot be downloaded
# here); installed once, as root (CI runs as root).
console-browser:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null; }
	@/usr/bin/chromium --version

# moto keeps its AWS state per process and some suites reset it, so each suite
# runs in a process of its own (module names stay distinct: one session can
# still import them all, e.g. `pytest tests`).
# Every tests/<dir>/ holding test files is a suite; the top-level test files are one more.
TEST_SUITES := $(sort $(dir $(wildcard tests/*/test_*.py))) "$(wildcard tests/test_*.py)"

pytest: install
	@set -e; for suite in $(TEST_SUITES); do \
	  echo "== pytest $$suite"; $(PY) -m pytest -q $$suite; done

# The README's test command; .ci/run calls exactly this.
test: lint layers typecheck cfn-lint built-layer console-browser pytest

demo: install
	$(PY) -m demo

up: install
	$(PY) -m local_stack up

bench: install
	$(PY) -m bench.sandbox_pages
	$(PY) -m bench.import
	$(PY) -m bench.import --objects 100000 --first-only
	$(PY) -m bench.export
	$(PY) -m bench.payments
	$(PY) -m bench.soak
	$(PY) -m bench.schedules
	$(PY) -m bench.cold_start

# Regenerate the full lock from requirements-dev.txt in a throwaway venv.
lock:
	rm -rf /tmp/qbo-lock-venv && $(PYTHON313) -m venv /tmp/qbo-lock-venv
	/tmp/qbo-lock-venv/bin/pip install --quiet -r requirements-dev.txt
	(echo "# Full lock of requirements-dev.txt (pip freeze of a clean Python 3.13 venv). Regenerate with 'make lock'."; \
	 /tmp/qbo-lock-venv/bin/pip freeze --all | grep -vE '^(pip|setuptools|wheel)==') > requirements.lock

# The AWS SAM CLI lives in a venv of its own: it pins many packages the tests don't need.
SAM_VENV := .venv-sam
SAM := PYENV_VERSION=3.13.0 PATH="$(HOME)/.pyenv/shims:$$PATH" $(SAM_VENV)/bin/sam

$(SAM_VENV)/bin/sam:
	$(PYTHON313) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check aws-sam-cli==1.170.0

build: $(SAM_VENV)/bin/sam
	$(SAM) build
	BUILT_LAYER=.aws-sam/build/SharedLayer/python $(PY) -m pytest -q \
	  tests/test_layer_lock.py tests/test_layer_build.py

validate: $(SAM_VENV)/bin/sam
	$(SAM) validate --lint

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache .local
