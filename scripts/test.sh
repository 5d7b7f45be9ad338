#!/usr/bin/env bash
# Install what the tests need (Debian's chromium and PostgreSQL included), start PostgreSQL, and run every test.
source "$(dirname "$0")/_venv.sh"
install_requirements requirements-dev.txt
if [ ! -x /usr/bin/chromium ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi
source "$(dirname "$0")/_postgres.sh"
start_postgres
exec .venv/bin/python -m pytest "$@"
