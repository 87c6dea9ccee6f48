#!/usr/bin/env bash
# Shows each component of the local Kubeplane cluster (etcd members, NATS, registry, containerds, services): running/stopped, address, pid; then the host network up.sh made.
set -euo pipefail
# shellcheck source=infra/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case ${1:-} in
  '') ;;
  -h | --help)
    printf 'usage: infra/local/status.sh\nExit status: 0 if every component is running, 3 otherwise.\n'
    exit 0 ;;
  *) printf 'usage: infra/local/status.sh\n' >&2; exit 2 ;;
esac

names=("${KP_INFRA_COMPONENTS[@]}")
while read -r name; do names+=("$name"); done < <(kp_service_names)
# plus services still recorded as started but no longer listed in services.list
while read -r name; do
  [[ " ${names[*]} " == *" $name "* ]] || names+=("$name")
done < <(kp_recorded_components)

{
  printf 'COMPONENT\tSTATE\tADDRESS\tPID\n'
  for name in "${names[@]}"; do
    kp_state "$name"
    pid=-
    case $KP_STATE in
      running) state=running pid=$KP_PID ;;
      stopped) state=stopped ;;
      dead) state="stopped (exited; see log)" ;;
      foreign) state="stopped (pid reused by another process)" ;;
    esac
    printf '%s\t%s\t%s\t%s\n' "$name" "$state" "$(kp_address "$name")" "$pid"
  done
} | kp_table
# What up.sh made on the host (down.sh removes it).
net=()
for i in "${!KP_NODES[@]}"; do
  br=${KP_NODE_BRIDGES[i]}
  if ip link show dev "$br" >/dev/null 2>&1; then
    net+=("$br ${KP_NODE_GATEWAYS[i]} (${KP_NODES[i]}, $(ip -o link show master "$br" 2>/dev/null | wc -l) pod veths)")
  else
    net+=("$br absent")
  fi
done
for t in kube-proxy "$KP_NFT_TABLE"; do
  nft list table ip "$t" >/dev/null 2>&1 && net+=("nft table ip $t")
done
nft list table inet kubeplane-netpol >/dev/null 2>&1 && net+=("nft table inet kubeplane-netpol")
printf '\nhost network: %s\n' "$(IFS=';'; printf '%s' "${net[*]}" | sed 's/;/; /g')"
# exit status: 0 only if everything is running
for name in "${names[@]}"; do
  kp_state "$name"
  [[ $KP_STATE == running ]] || exit 3
done
exit 0
