# enunciate: two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --disable-pip-version-check -q -c constraints.txt
export ORT_DISABLE_TELEMETRY := 1
export HF_HUB_OFFLINE := 1
# Threads fixed so runs are comparable (the machines here have 2 cores).
export OMP_NUM_THREADS ?= 2
export OMP_WAIT_POLICY ?= PASSIVE

.PHONY: demo test bench lint clean

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -e ".[eval,torch,speecht5,dev]"
	touch $@

$(VENV)/.bench-installed: $(VENV)/.installed
	$(PIP) -e ".[eval,torch,speecht5,dev,bench]"
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/enunciate demo --out out/

test: $(VENV)/.installed
	$(PY) -m pytest -q

bench: $(VENV)/.bench-installed
	$(PY) benchmarks/speak.py

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check src tests benchmarks

clean:
	rm -rf $(VENV) out .pytest_cache
