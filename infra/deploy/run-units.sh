#!/usr/bin/env bash
# Runs an installed machine's units without systemd (foreground; SIGTERM stops them): infra/deploy/run-units.sh MACHINE_JSON [--only UNITS].
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
exec node --conditions=source --import "file://$root/node_modules/tsx/dist/loader.mjs" "$root/infra/deploy/src/cli-runner.ts" "$@"
