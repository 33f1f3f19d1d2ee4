#!/usr/bin/env bash
# Validates the gateway's OpenAPI document with two independent validators
# from npm (pinned in package.json): @apidevtools/swagger-parser (schema and
# references) and Redocly's lint with its recommended rules (no errors).
#   validate.sh <training_openapi binary> <node binary>
set -euo pipefail
openapi_binary="$1"
node="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/openapi.XXXXXX")"
trap 'rm -rf "$work"' EXIT

"$openapi_binary" >"$work/openapi.json"
"$node" "$here/swagger_parser_validate.mjs" "$work/openapi.json"

# From the document's own directory, so that no redocly.yaml found on the
# way up changes the rules; no telemetry or update check (CI is offline but
# for npm).
cd "$work"
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
  "$node" "$root/node_modules/@redocly/cli/bin/cli.js" lint \
  --extends=recommended --format=stylish openapi.json
