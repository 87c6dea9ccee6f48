#!/usr/bin/env bash
# Generates TypeScript from proto/ into libs/api/src/gen and from the kubelet's CRI subset
# (services/kubelet/proto) into services/kubelet/src/gen (or, with --check, verifies both are current).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUF=node_modules/.bin/buf
GEN=libs/api/src/gen
CRI_PROTO=services/kubelet/proto
CRI_GEN=services/kubelet/src/gen

generate_into() { # $1: base directory the tree libs/api/src/gen is written under
  local base=$1
  "$BUF" lint proto
  "$BUF" generate proto --template proto/buf.gen.yaml --output "$base"
  local tmp
  tmp=$(mktemp)
  "$BUF" build proto --exclude-source-info -o "$tmp#format=binpb"
  node infra/scripts/embed-descriptors.mjs "$tmp" "$base/$GEN/descriptors.ts"
  "$BUF" build proto -o "$tmp#format=binpb" # with source info: the comments, for kpctl explain
  node infra/scripts/embed-field-docs.mjs "$tmp" "$base/$GEN/field-docs.ts"
  rm -f "$tmp"
  "$BUF" lint "$CRI_PROTO"
  "$BUF" generate "$CRI_PROTO" --template "$CRI_PROTO/buf.gen.yaml" --output "$base"
}

if [[ "${1:-}" == "--check" ]]; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
  generate_into "$out"
  for dir in "$GEN" "$CRI_GEN"; do
    if ! diff -r "$out/$dir" "$dir" >/dev/null; then
      diff -r "$out/$dir" "$dir" | head -40 >&2 || true
      echo "generated code in $dir is stale: run 'make generate' and commit the result" >&2
      exit 1
    fi
  done
  echo "generated code is current"
else
  generate_into .
fi
