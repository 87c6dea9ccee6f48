#!/usr/bin/env bash
# Checks (or waits for) the health gates of machines from their bundles: etcd member healthy, NATS up, apiserver ready, Node Ready.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

usage() {
  cat <<USAGE
usage: infra/deploy/health.sh [--wait SECONDS] [--kpctl-config FILE] BUNDLE_DIR...
Runs each machine's health checks (machine.json .health): HTTP(S) endpoints of its units (etcd's
/health, NATS' /healthz, the apiserver's /readyz) and, for workers, its Node's Ready condition
(through kpctl; --kpctl-config or \$KUBEPLANE_CONFIG). Prints one line per machine; exits 1 if a
check fails (after SECONDS when --wait is given).
USAGE
}
wait_s=0 kpctl_config=${KUBEPLANE_CONFIG:-}
while (($#)); do
  case $1 in
    --wait) wait_s=$2; shift 2 ;;
    --kpctl-config) kpctl_config=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    -*) usage >&2; exit 2 ;;
    *) break ;;
  esac
done
(($#)) || { usage >&2; exit 2; }

# check_machine BUNDLE: 0 when every check passes; the failing check in $failed.
check_machine() {
  local m=$1/machine.json n i url expect ca out node ready
  n=$(jq '.health | length' "$m")
  for ((i = 0; i < n; i++)); do
    node=$(jq -r ".health[$i].node // empty" "$m")
    if [[ -n $node ]]; then
      ready=$("$root/services/kpctl/bin/kpctl" ${kpctl_config:+--config "$kpctl_config"} get node "$node" -o json 2>/dev/null |
        jq -r '.status.conditions[]? | select(.type == "Ready") | .status' 2>/dev/null || true)
      [[ $ready == True ]] || { failed="node $node Ready=${ready:-unknown}"; return 1; }
      continue
    fi
    url=$(jq -r ".health[$i].url" "$m") expect=$(jq -r ".health[$i].expect // empty" "$m") ca=$(jq -r ".health[$i].ca // empty" "$m")
    # The CA named in machine.json is the machine's copy; the bundle holds the same file.
    [[ -z $ca ]] || ca=$1/files$ca
    out=$(curl -fsS --max-time 2 ${ca:+--cacert "$ca"} "$url" 2>&1) || { failed="$(jq -r ".health[$i].unit" "$m") $url: ${out:0:120}"; return 1; }
    [[ -z $expect || $out == *"$expect"* ]] || { failed="$(jq -r ".health[$i].unit" "$m") $url: ${out:0:120}"; return 1; }
  done
  return 0
}

deadline=$((SECONDS + wait_s)) status=0
for bundle in "$@"; do
  [[ -f $bundle ]] && continue # OUT/admin.kubeconfig beside the bundles (render.sh), matched by bundles/*
  name=$(jq -r .name "$bundle/machine.json") t0=$SECONDS
  until failed= && check_machine "$bundle"; do
    if ((SECONDS >= deadline)); then
      printf '%s: NOT healthy: %s\n' "$name" "$failed"
      status=1
      continue 2
    fi
    sleep 0.5
  done
  printf '%s: healthy (%s) after %ss\n' "$name" "$(jq -r '[.health[] | (.unit // "node")] | join(", ")' "$bundle/machine.json")" $((SECONDS - t0))
done
exit $status
