#!/usr/bin/env bash
# Generates TypeScript from proto/ into libs/api/src/gen (or, with --check, verifies it is current).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUF=node_modules/.bin/buf
GEN=libs/api/src/gen

generate_into() { # $1: base directory the tree libs/api/src/gen is written under
  local base=$1
  "$BUF" lint proto
  "$BUF" generate proto --template proto/buf.gen.yaml --output "$base"
  local tmp
  tmp=$(mktemp)
  "$BUF" build proto --exclude-source-info -o "$tmp#format=binpb"
  node infra/scripts/embed-descriptors.mjs "$tmp" "$base/$GEN/descriptors.ts"
  rm -f "$tmp"
}

if [[ "${1:-}" == "--check" ]]; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
  generate_into "$out"
  if ! diff -r "$out/$GEN" "$GEN" >/dev/null; then
    diff -r "$out/$GEN" "$GEN" | head -40 >&2 || true
    echo "generated code in $GEN is stale: run 'make generate' and commit the result" >&2
    exit 1
  fi
  echo "generated code is current"
else
  generate_into .
fi
