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

.PHONY: demo test test-heavy chromium bench lint clean

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -e ".[eval,torch,speecht5,dev,ray]"
	touch $@

$(VENV)/.bench-installed: $(VENV)/.installed
	$(PIP) -e ".[eval,torch,speecht5,dev,bench]"
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/enunciate demo --out out/

# The default run leaves out the `heavy` tests (torch.compile checks, long evaluations); CI runs them
# after `make test` with `make test-heavy`. The listen-test page is also checked in a real browser:
# ENUNCIATE_REQUIRE_CHROMIUM makes that test fail, not skip, when Chromium is missing.
test: $(VENV)/.installed chromium
	ENUNCIATE_REQUIRE_CHROMIUM=1 $(PY) -m pytest -q -m "not heavy"

test-heavy: $(VENV)/.installed
	$(PY) -m pytest -q -m heavy

# Debian's Chromium, headless, for that test (needs root); nothing to do once it is installed.
chromium:
	@test -x /usr/bin/chromium || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver; }

bench: $(VENV)/.bench-installed
	$(PY) benchmarks/speak.py

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check src tests benchmarks

clean:
	rm -rf $(VENV) out .pytest_cache
