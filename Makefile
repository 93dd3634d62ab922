# One entry point for people and CI. `make help` lists the targets.
PY ?= python
.PHONY: help dev install test test-all rust-test lint check-tree bench bench-quick demo ci

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

dev: ## build the Rust core in release mode and install segwise editable into the active venv
	maturin develop --release

install: ## install segwise as a user would
	pip install .

test: ## the README's test command
	pip install ".[test]" && pytest

test-all: ## every test, slow ones included
	pytest -m ""

# The patched crates under src/vendor are outside the workspace (not ours to lint), each
# its own workspace with its own lock file; their tests build in debug, in target/vendor.
VENDORED := kdtree linfa-nn

rust-test: ## Rust unit tests of the core and of the patched crates under src/vendor
	cargo test --release --workspace
	for c in $(VENDORED); do \
	  cargo test --locked --quiet --manifest-path src/vendor/$$c/Cargo.toml --target-dir target/vendor || exit 1; \
	done

lint: check-tree ## formatters, linters, type checks and the stub check
	cargo fmt --all --check
	cargo clippy --release --workspace --all-targets -- -D warnings
	ruff check python tests benches notebooks
	ruff format --check python tests benches notebooks
	mypy
	$(PY) -m mypy.stubtest segwise._core --allowlist .ci/stubtest-allowlist.txt

# Feature folders (or files) of the core; each may import only the shared modules
# (numerics, stats, params, clustering, error), never another feature. Test modules
# (after `#[cfg(test)]`) may use any feature as an oracle.
# Shared modules of segwise-core; every other top-level module is a feature, and a feature
# never imports another one (it imports shared modules only).
CORE_SHARED := lib error interrupt numerics params clustering stats mixed distance optim
CORE_FEATURES := $(filter-out $(CORE_SHARED),$(basename $(notdir $(wildcard src/core/*.rs))) $(notdir $(patsubst %/,%,$(dir $(wildcard src/core/*/mod.rs)))))

check-tree: ## architecture rules that cost seconds: a pure core crate, one ndarray, no feature importing another
	@! grep -nE '^(pyo3|numpy)\b' src/core/Cargo.toml || (echo "segwise-core (src/core) must not depend on pyo3/numpy" && false)
	@test "$$(grep -c '^name = "ndarray"$$' Cargo.lock)" = 1 || (echo "Cargo.lock has more than one ndarray: pin it to linfa's (see STYLE.md)" && false)
	@bad=0; for f in $(CORE_FEATURES); do \
	  others=$$(echo $(CORE_FEATURES) | tr ' ' '\n' | grep -vx "$$f" | paste -sd'|' -); \
	  for file in $$(find src/core/$$f.rs src/core/$$f -name '*.rs' 2>/dev/null); do \
	    awk '/^#\[cfg\(test\)\]/ { exit } { print FILENAME ":" FNR ": " $$0 }' "$$file" \
	      | grep -E "(crate|super)::($$others)\b" && bad=1; \
	  done; \
	done; \
	test $$bad = 0 || (echo "a core feature imports another feature: move the shared piece to a shared module ($(CORE_SHARED))" && false)

bench: ## the benchmarks at full size (minutes); each prints ratios against the reference
	for b in benches/bench_*.py; do $(PY) $$b || exit 1; done

bench-quick: ## the benchmarks at small sizes (seconds)
	for b in benches/bench_*.py; do $(PY) $$b --quick || exit 1; done

demo: ## the main job on the bundled data
	segwise demo --out segwise_report

ci: ## what CI runs
	bash .ci/run
