# Sourced by test.sh: a real PostgreSQL server for the run store's tests (tests/store).
# Installs Debian's postgresql when it is missing, starts its cluster, and makes a throwaway role
# that may create databases (each test module makes and drops its own). Exports the address as
# MLLAB_TEST_POSTGRES_URL. The app itself never needs this: it uses SQLite unless
# MLLAB_DATABASE_URL points elsewhere.
start_postgres() {
  local sudo="" version
  [ "$(id -u)" = 0 ] || sudo="sudo"
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  version="$(ls /usr/lib/postgresql | sort -V | tail -1)"
  if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$version main"; then
    $sudo pg_createcluster "$version" main >/dev/null
  fi
  if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $4}' | grep -q online; then
    $sudo pg_ctlcluster "$version" main start
  fi
  local port
  port="$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $3}')"
  local psql=(psql -p "$port" -v ON_ERROR_STOP=1 -qtAc)
  run_as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -c "$(printf '%q ' "$@")"; else sudo -u postgres "$@"; fi; }
  for _ in $(seq 30); do run_as_postgres "${psql[@]}" "SELECT 1" >/dev/null 2>&1 && break; sleep 1; done
  if [ "$(run_as_postgres "${psql[@]}" "SELECT 1 FROM pg_roles WHERE rolname = 'mllab_test'")" != 1 ]; then
    run_as_postgres "${psql[@]}" "CREATE ROLE mllab_test LOGIN CREATEDB PASSWORD 'mllab_test'"
  fi
  export MLLAB_TEST_POSTGRES_URL="postgresql://mllab_test:mllab_test@localhost:${port}/postgres"
}
