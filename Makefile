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

# -- llama.cpp, built for every machine ---------------------------------------------------------------------------
# llama-cpp-python has no wheel for most machines and compiles llama.cpp on install. Its default is
# GGML_NATIVE=ON (-march=native): a build that uses every instruction of the CPU it was built on and dies with
# SIGSEGV/SIGILL on any other (an AVX-512 or AMX kernel on a CPU without them; some Intel Xeon virtual machines
# report AMX and fault on its first instruction). Developer machines and CI change CPU from one day to the next,
# so the flags are set here, in one place:
#
# - GGML_BACKEND_DL + GGML_CPU_ALL_VARIANTS: the CPU backend is compiled once per x86-64 level and ggml loads the
#   best one this CPU supports when llama_cpp is imported. The project supports x86-64-v3 (AVX2) and up, so only
#   the variants in LLAMA_VARIANTS are compiled (tools/llama_variants.py edits the source; ggml has no option
#   for it): the AVX2 one every supported CPU can run, and the AVX-512 ones that read a prompt faster where there
#   is AVX-512; the figures that chose them are in docs/performance.md#llamacpp-builds. All 14 took 13 of a cold
#   install's 15 minutes on 2 cores. The AMX variant (sapphirerapids) is never built: it is the one that faulted.
# - LLAVA_BUILD=OFF, and llama.cpp's `common` library not forced on: the multimodal library is not used here, and
#   nothing installed links `common`.
# - llama-cpp-python does not support such a build by itself: its install rules leave the variant libraries out
#   of its wheel, and it never asks ggml to load them. So the wheel is built with a kept build folder, the
#   libraries are added to it, and tools/llama_cpp_backends.py.in (which loads them) is appended to
#   llama_cpp/llama_cpp.py, before the wheel is repacked and installed.
#
# The finished wheel is kept in $(LLAMA_WHEELS) under a name that holds the version and a hash of the flags, the
# variants and the two tools, so a second clone (or `make clean install`) does not compile again.
# `make llama-cpp-python` rebuilds it. tests/test_cpu_baseline.py reads the machine code of every library built.
LLAMA_VERSION ?= 0.3.36
LLAMA_VARIANTS := haswell skylakex icelake zen4
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON -DLLAVA_BUILD=OFF
LLAMA_FLAGS_ID := $(shell { printf '%s %s' '$(LLAMA_CMAKE_ARGS)' '$(LLAMA_VARIANTS)'; \
	cat tools/llama_cpp_backends.py.in tools/llama_variants.py; } | sha1sum | cut -c1-10)
LLAMA_WHEELS ?= $(HOME)/.cache/rag/wheels/llama-cpp-python-$(LLAMA_VERSION)-$(LLAMA_FLAGS_ID)
LLAMA_WORK := build/llama-cpp-python
LLAMA_SOURCE := $(LLAMA_WORK)/llama_cpp_python-$(LLAMA_VERSION)
STEP := bash tools/step

.PHONY: install serve test lint bench index clean chromium llama-wheel llama-cpp-python train-answerer train-reader

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	@echo "Installing into $(VENV): each step prints its time (a first install compiles llama.cpp: about 5 minutes)"
	@test -x $(BIN)/python || $(STEP) "virtual environment" $(PYTHON) -m venv $(VENV)
	@$(STEP) "pip and wheel" $(BIN)/python -m pip install --quiet --upgrade pip wheel
	@$(STEP) "torch (CPU build)" $(BIN)/python -m pip install "$(TORCH)"
	@test -n "$$(ls $(LLAMA_WHEELS)/*.whl 2>/dev/null)" || $(STEP) "llama.cpp compiled" $(MAKE) --no-print-directory llama-wheel
	@$(STEP) "llama-cpp-python" $(BIN)/python -m pip install --quiet --force-reinstall --no-deps $(LLAMA_WHEELS)/*.whl
	@$(STEP) "the project and its packages" $(BIN)/python -m pip install -e ".[dev]"
	touch $(STAMP)

# Compile llama.cpp (about 4 minutes on 2 cores) into a wheel that holds the CPU variants of LLAMA_VARIANTS.
llama-wheel:
	rm -rf $(LLAMA_WORK) && mkdir -p $(LLAMA_WORK)/sdist $(LLAMA_WHEELS)
	$(BIN)/python -m pip download --quiet --no-deps --no-binary llama-cpp-python -d $(LLAMA_WORK)/sdist \
		"llama-cpp-python==$(LLAMA_VERSION)"
	tar -xzf $(LLAMA_WORK)/sdist/llama_cpp_python-$(LLAMA_VERSION).tar.gz -C $(LLAMA_WORK)
	$(BIN)/python -m tools.llama_variants $(LLAMA_SOURCE) $(LLAMA_VARIANTS)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/python -m pip wheel --no-deps --no-cache-dir \
		--config-settings=build-dir=$(CURDIR)/$(LLAMA_WORK)/cmake -w $(LLAMA_WORK)/dist ./$(LLAMA_SOURCE)
	$(BIN)/python -m wheel unpack -d $(LLAMA_WORK)/unpacked $(LLAMA_WORK)/dist/*.whl
	cp $(LLAMA_WORK)/cmake/bin/libggml-cpu-*.so $(LLAMA_WORK)/unpacked/*/llama_cpp/lib/
	for module in $(LLAMA_WORK)/unpacked/*/llama_cpp/llama_cpp.py; do cat tools/llama_cpp_backends.py.in >> $$module; done
	$(BIN)/python -m wheel pack -d $(LLAMA_WHEELS) $(LLAMA_WORK)/unpacked/*
	rm -rf $(LLAMA_WORK)

# Rebuild and reinstall llama-cpp-python (after changing the flags above, or to repair a broken install).
llama-cpp-python:
	test -x $(BIN)/python || $(MAKE) --no-print-directory install
	rm -rf $(LLAMA_WHEELS)
	$(MAKE) --no-print-directory llama-wheel
	$(BIN)/python -m pip install --force-reinstall --no-deps $(LLAMA_WHEELS)/*.whl

# The sample index is built only when the index folder holds none.
$(INDEX)/CURRENT: | $(STAMP)
	$(BIN)/rag index $(SAMPLES) --index $(INDEX)

index: $(STAMP)
	$(BIN)/rag index $(SAMPLES) --index $(INDEX)

serve: $(STAMP) $(INDEX)/CURRENT
	$(BIN)/rag serve --index $(INDEX)

lint: $(STAMP)
	$(BIN)/ruff check rag ui tests tools
	$(BIN)/mypy rag ui tests tools

# The browser test (tests/test_browser.py) drives Debian's Chromium: installed here when we are root with apt-get,
# otherwise that one test is skipped with the reason.
chromium:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
		echo "chromium could not be installed: tests/test_browser.py will be skipped"

test: lint chromium
	$(BIN)/python -m pytest

# The answer finder (rag/models/answer_finder.py) is trained by the project from SQuAD 2.0 dev articles and the
# project's news stories (tools/training_data/news), split by article, seed fixed: about an hour on 2 cores; writes
# rag/models/weights/answer-finder/ (int8 ONNX, meta.json).
SQUAD ?= ../shared/eval/squad2-dev
train-answerer: $(STAMP)
	$(BIN)/python -m tools.train_answer_finder $(SQUAD) --more tools/training_data/news

# The span reader (rag/models/span_reader.py): trained from the even SQuAD 2.0 dev articles, the train sample and the
# project's news stories (tools/training_data/news, each example taught three times), seeded, its training stopped
# at READER_MINUTES (measured throughput sets the schedule's length); two readers alike but for their seed (1, then
# 0), joined as one ensemble (their logits averaged, calibrated together); writes rag/models/weights/span-reader/
# (int8 ONNX: model.onnx, member-1.onnx; meta.json). Each: two epochs in 25 minutes on 2 quiet cores (AMD EPYC Zen
# 4); on a busy machine use READER_THREADS=1 (two threads spin against other work: 6x slower).
SQUAD_TRAIN ?= ../shared/eval/squad2-train-sample
READER_MINUTES ?= 30
READER_THREADS ?= 2
READER_WORK ?= /tmp/rag-train-reader
READER_DATA = $(SQUAD) $(SQUAD_TRAIN) tools/training_data/news --repeat news=3 --minutes $(READER_MINUTES) \
	--threads $(READER_THREADS) --report-examples 800
train-reader: $(STAMP)
	$(BIN)/python -m tools.train_span_reader $(READER_DATA) --seed 1 --out $(READER_WORK)/seed-1
	$(BIN)/python -m tools.train_span_reader $(READER_DATA) --member $(READER_WORK)/seed-1

bench: $(STAMP)
	$(BIN)/python -m tools.bench --out bench-results/latest.json $(BENCH_FLAGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
