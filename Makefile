# Set-up and everyday commands. `make serve` and `make test` work on a fresh machine: they create the virtual
# environment and install everything first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU build of torch must be installed before sentence-transformers, or pip pulls a multi-GB CUDA build.
TORCH ?= torch==2.13.0
INDEX ?= index
SAMPLES := rag/samples
STAMP := $(VENV)/.installed

.PHONY: install serve test lint bench index clean chromium

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install "$(TORCH)"
	$(BIN)/python -m pip install -e ".[dev]"
	touch $(STAMP)

# The sample index is built only when the index folder holds none.
$(INDEX)/CURRENT: | $(STAMP)
	$(BIN)/rag index $(SAMPLES) --index $(INDEX)

index: $(STAMP)
	$(BIN)/rag index $(SAMPLES) --index $(INDEX)

serve: $(STAMP) $(INDEX)/CURRENT
	$(BIN)/rag serve --index $(INDEX)

lint: $(STAMP)
	$(BIN)/ruff check rag ui tests
	$(BIN)/mypy rag ui

# The browser test (tests/test_browser.py) drives Debian's Chromium: installed here when we are root with apt-get,
# otherwise that one test is skipped with the reason.
chromium:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
		echo "chromium could not be installed: tests/test_browser.py will be skipped"

test: lint chromium
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m rag.bench --out bench-results/latest.json

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
