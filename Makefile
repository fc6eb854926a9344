# The two commands a newcomer needs, each of which sets up what it uses:
#   make demo   review a sample repository with the embedded heuristic engine (no GPU, no network)
#   make test   install the test and model extras, then run the whole test suite
#
# On a CPU machine the model stack pins torch to a CPU build (TORCH below); an unpinned torch
# pulls a multi-GB CUDA build. On a GPU runner, set TORCH to the build you want.

PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
BIN := $(VENV)/bin

.PHONY: demo test setup setup-test sandbox lock clean

demo: setup
	$(BIN)/codegen demo

test: setup-test sandbox
	$(BIN)/python -m pytest

# Generated tests run under bubblewrap where it works. Install it when missing and possible
# (root with apt); otherwise the sandbox falls back to a plain subprocess and says so.
sandbox:
	@command -v bwrap >/dev/null 2>&1 \
	  || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	       && { apt-get install -y -qq bubblewrap >/dev/null 2>&1 \
	            || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq bubblewrap >/dev/null 2>&1; }; }; } \
	  || echo "note: bubblewrap is not installed; sandboxed test runs fall back to a plain subprocess"

setup: $(VENV)/.base
setup-test: $(VENV)/.test

$(VENV)/.base: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "codegen needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.test: $(VENV)/.base package.json
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e '.[model,dev]'
	npm ci --no-audit --no-fund --silent
	touch $@

# The hash-checked locks the Action installs from (action.yml's setup step): one for the plain
# install (publish, authorize, the heuristic and openai engines), one with the model extra. The
# model lock pins torch as PyPI publishes it: on Linux x86_64 that is the CUDA build a GPU runner
# wants, with the hashes of every platform's wheel. Run after changing pyproject.toml's
# dependencies; tests/test_locks.py fails until the locks agree with it again.
PIP_TOOLS ?= pip-tools==7.6.2
LOCK_FLAGS := --quiet --generate-hashes --strip-extras --allow-unsafe --all-build-deps \
	--no-emit-index-url --no-emit-find-links
lock: setup
	$(BIN)/python -m pip install --quiet "$(PIP_TOOLS)"
	$(BIN)/pip-compile $(LOCK_FLAGS) --output-file requirements/action.lock pyproject.toml
	$(BIN)/pip-compile $(LOCK_FLAGS) --extra model --output-file requirements/action-model.lock pyproject.toml

clean:
	rm -rf $(VENV) node_modules
