#!/usr/bin/env bash
# Renders the kubeplane chart into per-machine bundles (units, configs, certificates): infra/deploy/render.sh --pki-dir DIR --out DIR [-f values.yaml] [--set k=v].
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
exec node --conditions=source --import "file://$root/node_modules/tsx/dist/loader.mjs" "$root/infra/deploy/src/cli-render.ts" "$@"
