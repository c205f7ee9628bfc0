#!/usr/bin/env bash
# Tests of the editor support: the TextMate grammar of the VS Code extension (scope assertions
# in editors/vscode/tests/*.role, checked with vscode-tmgrammar-test), a tokenization of every
# sample policy of the repository, the VS Code client's start-up logic and manifest, and (where
# luac and python3 are installed) the syntax of the Neovim and Helix files. Installs the npm
# development dependencies locally (editors/vscode/node_modules) first.
#
# Usage: editors/test.sh          (from any directory)
# Exit status: 0 when every test passes, or when npm is missing (one line says it skipped);
# non-zero otherwise.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ext="$here/vscode"

if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  echo "editors: skipped (npm or node is not installed)"
  exit 0
fi

cd "$ext"

# Install exactly what package-lock.json pins; quietly, unless it fails.
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! npm ci --no-audit --no-fund --loglevel=error >"$log" 2>&1; then
  cat "$log" >&2
  echo "editors: npm ci failed" >&2
  exit 1
fi

status=0
out="$(mktemp -d)"
trap 'rm -rf "$log" "$out"' EXIT

echo "== editors: grammar assertions (vscode-tmgrammar-test, tests/*.role)"
node node_modules/vscode-tmgrammar-test/dist/unit.js \
  --grammar syntaxes/rolec.tmLanguage.json 'tests/*.role' | tee "$out/grammar" || status=1
units=$(ls tests/*.role | wc -l)
grammar_passed=$(grep -c '^✓' "$out/grammar" || true)

echo "== editors: sample policies and the VS Code client (node --test)"
node --test \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$out/node.tap" \
  tests/examples.test.js tests/extension.test.js tests/manifest.test.js || status=1
node_passed=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$out/node.tap" | tail -1)
node_failed=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$out/node.tap" | tail -1)

# The Neovim and Helix files: syntax checks where a checker is installed.
echo "== editors: neovim/rolec.lua and helix/languages.toml"
if command -v luac5.4 >/dev/null 2>&1 || command -v luac >/dev/null 2>&1 || command -v luajit >/dev/null 2>&1; then
  if command -v luac5.4 >/dev/null 2>&1; then luac5.4 -p "$here/neovim/rolec.lua"
  elif command -v luac >/dev/null 2>&1; then luac -p "$here/neovim/rolec.lua"
  else luajit -bl "$here/neovim/rolec.lua" >/dev/null
  fi && echo "rolec.lua: valid Lua" || { echo "rolec.lua: invalid Lua" >&2; status=1; }
else
  echo "rolec.lua: not checked (no luac or luajit)"
fi
if python3 -c 'import tomllib' >/dev/null 2>&1; then
  python3 -c 'import sys, tomllib; tomllib.load(open(sys.argv[1], "rb"))' "$here/helix/languages.toml" \
    && echo "languages.toml: valid TOML" || { echo "languages.toml: invalid TOML" >&2; status=1; }
else
  echo "languages.toml: not checked (no python3 with tomllib)"
fi

passed=$((grammar_passed + ${node_passed:-0}))
failed=$((units - grammar_passed + ${node_failed:-0}))
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1 # a runner failed without reporting a test failure (a crash, a bad test file)
fi
echo "editors: $passed passed, $failed failed"
exit "$status"
