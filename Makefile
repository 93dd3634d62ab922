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

rust-test: ## Rust unit tests of the core
	cargo test --release --workspace

lint: check-tree ## formatters, linters, type checks and the stub check
	cargo fmt --all --check
	cargo clippy --release --workspace --all-targets -- -D warnings
	ruff check python tests benches notebooks
	ruff format --check python tests benches notebooks
	mypy
	$(PY) -m mypy.stubtest segwise._core --allowlist .ci/stubtest-allowlist.txt

check-tree: ## architecture rules that cost seconds: a pure core crate, one ndarray
	@! grep -nE '^(pyo3|numpy)\b' src/core/Cargo.toml || (echo "segwise-core (src/core) must not depend on pyo3/numpy" && false)
	@test "$$(grep -c '^name = "ndarray"$$' Cargo.lock)" = 1 || (echo "Cargo.lock has more than one ndarray: pin it to linfa's (see STYLE.md)" && false)

bench: ## the benchmarks at full size (minutes); each prints ratios against the reference
	for b in benches/bench_*.py; do $(PY) $$b || exit 1; done

bench-quick: ## the benchmarks at small sizes (seconds)
	for b in benches/bench_*.py; do $(PY) $$b --quick || exit 1; done

demo: ## the main job on the bundled data
	segwise demo --out segwise_report

ci: ## what CI runs
	bash .ci/run
