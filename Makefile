# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(CURDIR)/$(VENV)/bin
INSTALLED := $(VENV)/.installed
DEMO := $(CURDIR)/build/demo
export PATH := $(BIN):$(PATH)

# the sidebar's sources: a change to any of them makes the next install build it again
LAB := labextension
LAB_SOURCES := $(shell find $(LAB)/src $(LAB)/style $(LAB)/schema -type f -not -path '*/__tests__/*' 2>/dev/null) \
	$(LAB)/package.json $(LAB)/yarn.lock $(LAB)/tsconfig.json

.PHONY: install node chromium cron postgres demo test jest lint lab bench bench-crash clean

install: $(INSTALLED)

$(BIN)/python:
	@$(PYTHON) -c "import ensurepip, venv" 2>/dev/null || { [ "$$(id -u)" = 0 ] && \
		apt-get update -qq && apt-get install -y -qq python3-venv git; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# pip builds the sidebar (jlpm, bundled with jupyterlab) and installs it into the venv
$(INSTALLED): pyproject.toml $(LAB_SOURCES) | $(BIN)/python node
	rm -rf jupyter_mlops/labextension
	$(BIN)/python -m pip install --quiet -e ".[test,dev]"
	touch $@

# Node.js builds the sidebar: Debian's, where it is missing
node:
	@command -v node >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs; } || \
		{ echo "== Node.js is missing (installing it needs root): the sidebar cannot be built"; exit 1; }

demo: $(INSTALLED)
	rm -rf $(DEMO) && mkdir -p $(DEMO)
	@echo "== running examples/quickstart.ipynb with papermill (registry: $(DEMO)/registry)"
	MLOPS_HOME=$(DEMO)/registry $(BIN)/papermill --log-level WARNING --no-progress-bar \
		examples/quickstart.ipynb $(DEMO)/quickstart.ipynb
	@echo "== executed notebook: $(DEMO)/quickstart.ipynb"
	@echo "== models";   $(BIN)/jupyter-mlops --home $(DEMO)/registry models
	@echo "== versions"; $(BIN)/jupyter-mlops --home $(DEMO)/registry versions diagnosis
	@echo "== history";  $(BIN)/jupyter-mlops --home $(DEMO)/registry history diagnosis
	@echo "== integrity"; $(BIN)/jupyter-mlops --home $(DEMO)/registry verify
	@echo "== running examples/drift_and_alerts.ipynb (drift, a week of logged predictions, alerts)"
	MLOPS_HOME=$(DEMO)/registry $(BIN)/papermill --log-level WARNING --no-progress-bar \
		examples/drift_and_alerts.ipynb $(DEMO)/drift_and_alerts.ipynb
	@echo "== executed notebook: $(DEMO)/drift_and_alerts.ipynb"
	@echo "== what drifted in the last 7 days of churn's prediction log, and by which test"
	$(BIN)/jupyter-mlops --home $(DEMO)/registry drift churn@champion --window 7d
	@echo "== alert rules"; $(BIN)/jupyter-mlops --home $(DEMO)/registry alert list churn
	@echo "== alert log";   $(BIN)/jupyter-mlops --home $(DEMO)/registry alert log churn
	@echo "== performance (realised and estimated, last 2 days)"
	$(BIN)/jupyter-mlops --home $(DEMO)/registry performance churn@champion --last 2
	$(BIN)/jupyter-mlops --home $(DEMO)/registry estimate churn@champion --last 2
	@echo "== running examples/monitoring.ipynb as a recorded job, as a schedule would"
	$(BIN)/jupyter-mlops --home $(DEMO)/registry monitor examples/monitoring.ipynb \
		-p model churn@champion -p window 1d --timeout 30m || { code=$$?; [ $$code = 3 ] && \
		echo "== exit code 3: the tutorial's alert rule still fires on churn's shifted days, so a schedule would flag this run"; }
	@echo "== jobs"; $(BIN)/jupyter-mlops --home $(DEMO)/registry jobs churn
	@echo "== the job's executed notebook, written out to open"
	$(BIN)/jupyter-mlops --home $(DEMO)/registry jobs --open 1
	@echo "== running examples/serving.ipynb (deploy, requests, feedback, promote and rollback followed)"
	MLOPS_HOME=$(DEMO)/registry $(BIN)/papermill --log-level WARNING --no-progress-bar \
		examples/serving.ipynb $(DEMO)/serving.ipynb
	@echo "== executed notebook: $(DEMO)/serving.ipynb"
	@echo "== deployments"; $(BIN)/jupyter-mlops --home $(DEMO)/registry deployments
	@echo "== served performance"; $(BIN)/jupyter-mlops --home $(DEMO)/registry performance tumour@champion
	@echo "== where to look next"
	@echo "   executed notebooks: $(DEMO)/quickstart.ipynb, $(DEMO)/drift_and_alerts.ipynb, $(DEMO)/serving.ipynb"
	@echo "   the demo registry:  $(DEMO)/registry (jupyter-mlops --home $(DEMO)/registry models)"
	@echo "   make lab            opens them in JupyterLab, its MLOps sidebar showing the demo registry"

# two workers, each given whole test files (module fixtures are made once); one BLAS thread
# each, since two workers fill two cores and idle BLAS threads spin, starving the other;
# compiled modules kept (.pyc) even where the environment says not to write them: the suite
# starts hundreds of Python processes, which would each compile the package again; the
# slowest tests listed at the end, where the suite's time goes
test: $(INSTALLED) chromium cron postgres jest
	PYTHONDONTWRITEBYTECODE= OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
		$(BIN)/python -m pytest -n 2 --dist loadfile --durations=30

# the sidebar's unit tests (its node dependencies installed first when missing)
jest: $(INSTALLED)
	cd $(LAB) && { [ -d node_modules ] || $(BIN)/jlpm install; } && $(BIN)/jlpm test

# the browser test drives Debian's chromium; playwright never downloads a browser of its own
chromium:
	@[ -x /usr/bin/chromium ] || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } || \
		echo "== /usr/bin/chromium is missing (installing it needs root): the browser test is skipped"

# the schedules' tests install real entries in the user's crontab: Debian's cron provides it
cron:
	@command -v crontab >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cron; } || \
		echo "== crontab is missing (installing it needs root): the crontab tests are skipped"

# shared registries are tested on a throwaway PostgreSQL server: Debian's postgresql has it
postgres:
	@{ command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || \
		{ [ "$$(id -u)" = 0 ] && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } || \
		{ echo "== PostgreSQL is missing (installing it needs root): shared registries cannot be tested"; exit 1; }

lint: $(INSTALLED)
	$(BIN)/ruff check jupyter_mlops tests benchmarks
	$(BIN)/ruff format --check jupyter_mlops tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

# the executed demo notebooks against the demo registry (made first when missing)
lab: $(INSTALLED)
	@[ -d $(DEMO)/registry ] || $(MAKE) demo
	MLOPS_HOME=$(DEMO)/registry $(BIN)/jupyter lab $(DEMO)

bench: $(INSTALLED) postgres
	$(BIN)/python benchmarks/registry_vs_mlflow.py
	$(BIN)/python benchmarks/registry_shared.py
	$(BIN)/python benchmarks/tracking_vs_mlflow.py
	$(BIN)/python benchmarks/drift_vs_evidently_nannyml.py
	$(BIN)/python benchmarks/serving_vs_mlflow.py
	$(BIN)/python benchmarks/shadow_overhead.py

bench-crash: $(INSTALLED)
	$(BIN)/python benchmarks/registry_crash.py --kills 1500

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
	rm -rf $(LAB)/node_modules $(LAB)/lib $(LAB)/tsconfig.tsbuildinfo jupyter_mlops/labextension
