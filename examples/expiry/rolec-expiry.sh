#!/bin/sh
# Ends the time windows of a policy's memberships: one `rolec apply`, run on a schedule.
# A membership whose window has ended (`for 4h` from the apply that granted it, or `until …`)
# is revoked; anything else the policy's plan holds is applied too, and a plan with destructive
# steps is refused (exit 1), so watch the exit status.
#
#   ROLEC_DB      the database (libpq URL or key-value string; the password from PGPASSWORD
#                 or ~/.pgpass, never on the command line)
#   ROLEC_POLICY  the policy: a file or directory of *.role files
#   ROLEC         the rolec binary (default: rolec on PATH)
#
# Further arguments go to `rolec apply` (e.g. --manage 'app_*').
set -eu
: "${ROLEC_DB:?set ROLEC_DB to the database to apply to}"
: "${ROLEC_POLICY:?set ROLEC_POLICY to the policy file or directory}"
exec "${ROLEC:-rolec}" apply --db "$ROLEC_DB" "$@" "$ROLEC_POLICY"
