#!/usr/bin/env bash
# The steps of the GitHub Action (action.yml), as a script so that they can be tested
# (tests/action_pg.rs). Lints the policy (GitHub annotations on standard output), then, when a
# database is given, appends the plan as Markdown to $GITHUB_STEP_SUMMARY.
#
# Environment: INPUT_POLICY (a file or directory), ROLEC_DB (a connection string; empty: lint
# only), INPUT_TARGET_VERSION (optional), ROLEC_BIN (the rolec binary; default: rolec on PATH),
# GITHUB_STEP_SUMMARY, GITHUB_OUTPUT (optional: `changes=true|false` is written to it).
# Exit status: 0 lint clean (warnings allowed) and plan made; 1 otherwise. Pending changes are
# not a failure.
set -uo pipefail

policy="${INPUT_POLICY:?INPUT_POLICY: the policy path is required}"
summary="${GITHUB_STEP_SUMMARY:?GITHUB_STEP_SUMMARY is not set}"
rolec="${ROLEC_BIN:-rolec}"
options=()
if [ -n "${INPUT_TARGET_VERSION:-}" ]; then
  options+=(--target-version "$INPUT_TARGET_VERSION")
fi

"$rolec" lint --format github "${options[@]}" -- "$policy"
if [ $? -ne 0 ]; then
  printf '## rolec lint\n\nThe policy has errors: see the annotations of this run.\n' >>"$summary"
  exit 1
fi

if [ -z "${ROLEC_DB:-}" ]; then
  exit 0
fi

# Standard output (the Markdown) goes to the summary; warnings (standard error) to the log.
"$rolec" plan --format markdown --detailed-exitcode --db "$ROLEC_DB" "${options[@]}" -- "$policy" >>"$summary"
status=$?
case $status in
  0 | 2)
    [ -z "${GITHUB_OUTPUT:-}" ] || echo "changes=$([ $status = 2 ] && echo true || echo false)" >>"$GITHUB_OUTPUT"
    exit 0
    ;;
  *)
    printf '## rolec plan\n\nThe plan failed: see the log of this step.\n' >>"$summary"
    exit 1
    ;;
esac
