#!/usr/bin/env bash
# Install what the tests need (Debian's chromium and PostgreSQL included), start PostgreSQL, and run every test.
source "$(dirname "$0")/_venv.sh"
# Debian's packages and the Python ones are fetched at the same time, with one apt-get update.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium fonts-dejavu-core)
command -v pg_ctlcluster >/dev/null 2>&1 || missing+=(postgresql)
apt_job=""
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  ( $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null ) &
  apt_job=$!
fi
install_requirements requirements-dev.txt
[ -z "$apt_job" ] || wait "$apt_job"
source "$(dirname "$0")/_postgres.sh"
start_postgres
exec .venv/bin/python -m pytest "$@"
