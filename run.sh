#!/usr/bin/env bash
# Quick start on a fresh machine (see README.md):
#   ./run.sh serve [irr serve options]   install everything, start the server on an embedded PostgreSQL
#   ./run.sh test  [pytest options]      install everything (with test tools), run the whole test suite
set -euo pipefail
cd "$(dirname "$0")"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# System packages a command needs, installed with apt when missing (as root, or with sudo).
need_packages() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || { log "please install: ${missing[*]}"; exit 1; }
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  log "installing system packages: ${missing[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || {
    $sudo apt-get update -q >/dev/null && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; }
}

find_python() {
  for py in python3.13 python3.12 python3.11 python3; do
    if command -v "$py" >/dev/null && "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$py"; return 0
    fi
  done
  log "Python 3.11 or newer is required"; exit 1
}

install() {  # $1: pip extras
  local py; py=$(find_python)
  if [ ! -x .venv/bin/python ]; then
    log "creating virtual environment (.venv) with $py"
    "$py" -m venv .venv 2>/dev/null || { need_packages python3-venv; rm -rf .venv; "$py" -m venv .venv; }
  fi
  local stamp=".venv/.installed-$1" want
  want=$(cat setup.cfg pyproject.toml | sha256sum | cut -c1-16)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "installing Python packages"
    if ! { .venv/bin/python -m pip install -q --upgrade pip && .venv/bin/python -m pip install -q -e ".$1"; } \
        >.venv/pip.log 2>&1; then
      cat .venv/pip.log >&2; log "installing Python packages failed"; exit 1
    fi
    echo "$want" > "$stamp"
  fi
}

cmd=${1:-help}; shift || true
case "$cmd" in
  serve)
    need_packages gnupg               # PGP-signed submissions
    install ""
    exec .venv/bin/irr serve "$@" ;;
  test)
    # gpg for PGP; real whois clients run against our server; Chromium for the browser tests
    # (driven by Playwright with executable_path=/usr/bin/chromium; no `playwright install`);
    # systemd for systemd-analyze and systemd-sysusers, which check deploy/ (no running systemd needed);
    # bgpdump to check the BGP table reader against Debian's MRT parser; curl runs the README's API example
    need_packages gnupg whois bgpq4 bgpq3 chromium systemd bgpdump curl
    install "[test]"
    log "running the test suite"
    exec .venv/bin/python -m pytest "$@" ;;
  *)
    sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
