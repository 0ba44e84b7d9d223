#!/usr/bin/env bash
# Set up (or reuse) the project's virtual environment in .venv.
#   scripts/setup.sh        runtime packages (the app and the CLI)
#   scripts/setup.sh --dev  also the test tools and Debian's chromium for the browser tests
# Safe to run again: an existing .venv is reused and pip only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
requirements=requirements.txt
[ "${1:-}" = "--dev" ] && requirements=requirements-dev.txt
if [ ! -x .venv/bin/python ]; then
  if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "setup: bcds needs Python 3.11 or later; python3 is $(python3 --version 2>&1)" >&2
    exit 1
  fi
  python3 -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum "$requirements" requirements.txt | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"
  touch "$stamp"
fi
if [ "${1:-}" = "--dev" ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null 2>&1 \
      || echo "setup: could not install chromium; browser tests will be skipped" >&2
  else
    echo "setup: chromium not found and not root; browser tests will be skipped" >&2
  fi
fi
