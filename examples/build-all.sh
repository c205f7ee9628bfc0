#!/usr/bin/env bash
# Builds every example under examples/ into out/<name>/ (up.sql, down.sql, hba.conf).
# An example's build.args holds extra arguments, one per line; `env:NAME=VALUE` lines set
# environment variables (the secrets of `password secret("NAME")`).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
for dir in examples/*/; do
  name=$(basename "$dir")
  args=()
  envs=()
  if [ -f "$dir/build.args" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
      case "$line" in
        "" | \#*) ;;
        env:*) envs+=("${line#env:}") ;;
        *) args+=("$line") ;;
      esac
    done < "$dir/build.args"
  fi
  echo "== $name"
  env "${envs[@]}" target/release/rolec build "$dir" --out "out/$name" "${args[@]}"
done
