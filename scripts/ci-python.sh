#!/usr/bin/env bash
# The Python bindings (crates/chipcap-py, PyO3 + maturin): fmt, clippy, build into a fresh virtualenv,
# then pytest. Installs maturin and pytest from PyPI into that virtualenv only.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="$(mktemp -d)/venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet "maturin>=1.5,<2" pytest
(
  cd crates/chipcap-py
  cargo fmt -- --check
  cargo clippy --all-targets -- -D warnings
  VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" maturin develop --quiet
)
"$venv/bin/python" -m pytest -q crates/chipcap-py/tests
"$venv/bin/python" examples/python/simulate.py > /dev/null
echo "python bindings: ok"
