#!/usr/bin/env bash
# Create (or bring up to date) the two virtual environments:
#   .venv       Python >= 3.11: the project (gateway, actions, index, CLI), its tests and `make lint`
#   .venv-rasa  Python 3.10:    rasa 3.6.21 (the last open-source Rasa; it does not install on 3.11)
# Idempotent: each venv records a hash of the files it was built from and is only rebuilt when they change.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*" >&2; }

# find_python MAJOR.MINOR...: print the path of the first interpreter found for any of the versions,
# looking on PATH, then in pyenv, then through uv.
find_python() {
  local v cand
  for v in "$@"; do
    for cand in "python$v" "$(command -v pyenv >/dev/null 2>&1 && pyenv root 2>/dev/null)/versions/$v"*/bin/python"$v"; do
      [ -n "$cand" ] || continue
      if "$cand" -c "import sys; assert sys.version_info[:2] == tuple(map(int, '$v'.split('.')))" >/dev/null 2>&1; then
        command -v "$cand" 2>/dev/null || echo "$cand"; return 0
      fi
    done
    if command -v uv >/dev/null 2>&1; then
      cand=$(uv python find "$v" 2>/dev/null || { uv python install "$v" >&2 && uv python find "$v"; } 2>/dev/null || true)
      [ -n "$cand" ] && { echo "$cand"; return 0; }
    fi
  done
  return 1
}

# pip, without the machine-config warnings about local index folders that do not exist
# (the exit status stays pip's own).
quiet_pip() { local dir=$1; shift; "$dir/bin/python" -m pip "$@" --quiet 2> >(grep -v "is ignored: it is neither" >&2); }

stamp_of() { cat "$@" | sha256sum | cut -c1-16; }

make_venv() {  # make_venv DIR PYTHON STAMP INSTALL-ARGS...
  local dir=$1 py=$2 stamp=$3; shift 3
  if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$stamp" ]; then
    say "$dir is up to date"; return 0
  fi
  if [ ! -x "$dir/bin/python" ]; then
    say "creating $dir with $("$py" --version 2>&1)"
    "$py" -m venv "$dir"
    quiet_pip "$dir" install --upgrade pip wheel
  else
    say "updating $dir (its requirements changed)"
  fi
  quiet_pip "$dir" install "$@"
  echo "$stamp" > "$dir/.stamp"
}

PY311=$(find_python 3.11 3.12 3.13) || {
  say "No Python >= 3.11 found. Install one (e.g. 'pyenv install 3.11' or 'uv python install 3.11') and re-run."; exit 1; }
PY310=$(find_python 3.10) || {
  say "No Python 3.10 found (rasa 3.6 needs it). Install it with 'pyenv install 3.10' or 'uv python install 3.10' and re-run."; exit 1; }

make_venv .venv "$PY311" "$(stamp_of pyproject.toml)" -e ".[test,dev]"
make_venv .venv-rasa "$PY310" "$(stamp_of requirements-rasa.txt)" -r requirements-rasa.txt

# npm test tools: rasa-webchat (existing Rasa web widgets keep working) and axe-core (the widget's accessibility).
if command -v npm >/dev/null 2>&1; then
  if [ ! -f node_modules/.stamp ] || [ "$(cat node_modules/.stamp)" != "$(stamp_of package-lock.json)" ]; then
    say "installing rasa-webchat and axe-core from npm"
    npm ci --no-audit --no-fund --ignore-scripts --loglevel=error && stamp_of package-lock.json > node_modules/.stamp
  fi
else
  say "npm not found: the rasa-webchat and axe-core browser tests will be skipped"
fi

# Headless Chromium for the browser tests (Playwright cannot download its own browser here).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian's chromium for the browser tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || say "could not install chromium: browser tests will be skipped"
  else
    say "chromium not found at /usr/bin/chromium: install it (apt-get install chromium) to run the browser tests"
  fi
fi
# PostgreSQL, Redis and haproxy for `make run-scaled` and its tests (none is started as a service).
missing=""
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
command -v haproxy >/dev/null 2>&1 || missing="$missing haproxy"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing$missing for make run-scaled"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null) \
      || say "could not install$missing: make run-scaled and its tests need them"
  else
    say "make run-scaled needs$missing: install them (apt-get install$missing), or give --postgres-url/--redis-url"
  fi
fi
say "ready"
