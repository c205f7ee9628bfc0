#!/usr/bin/env bash
# Tests of the editor support: the TextMate grammar of the VS Code extension (scope assertions
# in editors/vscode/tests/*.role, checked with vscode-tmgrammar-test), a tokenization of every
# sample policy of the repository, the VS Code client's start-up logic and manifest, the bundled
# extension with the real vscode-languageclient against the real `rolec lsp`, the .vsix that
# `vsce package` makes, Neovim's rolec.lua headless against the real server (where nvim 0.10+
# is installed; .ci/run installs it), and (where luac and python3 are installed) the syntax of
# the Neovim and Helix files. Installs the npm development dependencies locally
# (editors/vscode/node_modules) first.
#
# The rolec binary: $ROLEC_BIN, else target/debug/rolec (built with cargo when missing).
#
# Usage: editors/test.sh          (from any directory)
# Exit status: 0 when every test passes, or when npm is missing (one line says it skipped);
# non-zero otherwise.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ext="$here/vscode"
repo="$(dirname "$here")"

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

# The language server the client and Neovim tests start.
export ROLEC_BIN="${ROLEC_BIN:-$repo/target/debug/rolec}"
if [ ! -x "$ROLEC_BIN" ] && command -v cargo >/dev/null 2>&1; then
  echo "== editors: building rolec (cargo build --bin rolec)"
  (cd "$repo" && cargo build --quiet --bin rolec)
fi

echo "== editors: bundling the extension (esbuild, dist/extension.js)"
npm run --silent build || status=1

echo "== editors: grammar assertions (vscode-tmgrammar-test, tests/*.role)"
node node_modules/vscode-tmgrammar-test/dist/unit.js \
  --grammar syntaxes/rolec.tmLanguage.json 'tests/*.role' | tee "$out/grammar" || status=1
units=$(ls tests/*.role | wc -l)
grammar_passed=$(grep -c '^✓' "$out/grammar" || true)

echo "== editors: sample policies and the VS Code client (node --test)"
node --test \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$out/node.tap" \
  tests/examples.test.js tests/extension.test.js tests/manifest.test.js tests/client.test.js || status=1
node_passed=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$out/node.tap" | tail -1)
node_failed=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$out/node.tap" | tail -1)

# One-off checks below: how many ran, how many passed.
checks=0
checks_passed=0

# `vsce package` with no flags, and the files of the .vsix: the bundle, the manifest, the
# grammar, the language configuration, README and LICENSE (vsce's own two files besides).
echo "== editors: vsce package"
checks=$((checks + 1))
expected='[Content_Types].xml
extension.vsixmanifest
extension/LICENSE.txt
extension/dist/extension.js
extension/language-configuration.json
extension/package.json
extension/readme.md
extension/syntaxes/rolec.tmLanguage.json'
if node node_modules/@vscode/vsce/vsce package --out "$out/rolec.vsix" >"$out/vsce.log" 2>&1 &&
  files="$(python3 -c 'import sys, zipfile; print("\n".join(sorted(zipfile.ZipFile(sys.argv[1]).namelist())))' "$out/rolec.vsix")" &&
  [ "$files" = "$expected" ]; then
  echo "✓ rolec.vsix: $(echo "$files" | wc -l) files"
  checks_passed=$((checks_passed + 1))
else
  cat "$out/vsce.log" >&2
  echo "✗ rolec.vsix: expected files:" >&2
  echo "$expected" >&2
  echo "got:" >&2
  echo "${files:-}" >&2
  status=1
fi

# Neovim: rolec.lua headless with the real server, where Neovim 0.10+ is installed.
echo "== editors: neovim/rolec.lua with rolec lsp (nvim --headless)"
if command -v nvim >/dev/null 2>&1 &&
  nvim --headless --clean --cmd 'if has("nvim-0.10") | qall | else | cquit | endif' >/dev/null 2>&1; then
  # Both ways rolec.lua starts the client: vim.lsp.config/enable (0.11+), vim.lsp.start (0.10).
  for start in 0 1; do
    checks=$((checks + 1))
    if ROLEC_NVIM_START=$start timeout 120 nvim --headless --clean -l "$here/neovim/test.lua"; then
      checks_passed=$((checks_passed + 1))
    else
      status=1
    fi
  done
else
  echo "neovim: not tested (no nvim 0.10 or newer on PATH)"
fi

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

passed=$((grammar_passed + ${node_passed:-0} + checks_passed))
failed=$((units - grammar_passed + ${node_failed:-0} + checks - checks_passed))
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1 # a runner failed without reporting a test failure (a crash, a bad test file)
fi
echo "editors: $passed passed, $failed failed"
exit "$status"
