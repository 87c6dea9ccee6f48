#!/usr/bin/env bash
# Simulated machines: network namespaces on one Linux bridge, each with its own address (`up`), and their complete removal (`down`).
set -euo pipefail

usage() {
  cat <<USAGE
usage: infra/deploy/ha/netns.sh up BRIDGE GATEWAY/PREFIX[,GATEWAY6/PREFIX6] NAME=ADDRESS[,ADDRESS6]...
       infra/deploy/ha/netns.sh down BRIDGE NAME...
up:   makes bridge BRIDGE with GATEWAY (this host's address on it) and, per NAME, the network namespace
      BRIDGE-NAME with loopback up and eth0 = ADDRESS/PREFIX (a veth whose other end is on the
      bridge), default route via GATEWAY. Dual stack: GATEWAY6/PREFIX6 on the bridge too and
      ADDRESS6/PREFIX6 on eth0 (no duplicate address detection: usable at once). Idempotent.
down: kills every process left in each BRIDGE-NAME namespace, deletes the namespaces (their veths
      go with them) and the bridge.
BRIDGE must start with kp-n: make up's forward guard (nft table kubeplane-local) lets traffic of kp-n*
bridges through, and bridged traffic passes the ip forward hook here (br_netfilter is loaded).
Addresses stay inside the bridge: nothing is routed beyond this host.
USAGE
}

ns_up() {
  local bridge=$1 gw=${2%%,*} gw6= i=0 spec name addr addr6 ns veth prefix prefix6=
  [[ $2 != *,* ]] || { gw6=${2#*,}; prefix6=${gw6#*/}; }
  prefix=${gw#*/}
  shift 2
  ip link show dev "$bridge" >/dev/null 2>&1 || ip link add "$bridge" type bridge
  ip addr replace "$gw" dev "$bridge"
  [[ -z $gw6 ]] || ip addr replace "$gw6" dev "$bridge" nodad
  ip link set dev "$bridge" up
  for spec in "$@"; do
    name=${spec%%=*} addr=${spec#*=} addr6= ns=$bridge-$name veth=${bridge}v$i
    [[ $addr != *,* ]] || { addr6=${addr#*,}; addr=${addr%%,*}; }
    [[ -z $addr6 || -n $gw6 ]] || { echo "netns.sh: $name has an IPv6 address but the bridge has no IPv6 gateway/prefix" >&2; exit 2; }
    i=$((i + 1))
    ip netns list | grep -qx -- "$ns\( (id: [0-9]*)\)\?" || ip netns add "$ns"
    ip -n "$ns" link set lo up
    if ! ip -n "$ns" link show eth0 >/dev/null 2>&1; then
      ip link delete "$veth" >/dev/null 2>&1 || true
      ip link add "$veth" type veth peer name eth0 netns "$ns"
    fi
    ip link set "$veth" master "$bridge" up
    ip -n "$ns" addr replace "$addr/$prefix" dev eth0
    [[ -z $addr6 ]] || ip -n "$ns" addr replace "$addr6/$prefix6" dev eth0 nodad
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route replace default via "${gw%/*}" dev eth0
  done
}

ns_down() {
  local bridge=$1 name ns pids i v
  shift
  for name in "$@"; do
    ns=$bridge-$name
    ip netns list | grep -q -- "^$ns\b" || continue
    for i in 1 2 3; do
      pids=$(ip netns pids "$ns" 2>/dev/null || true)
      [[ -n $pids ]] || break
      # shellcheck disable=SC2086
      kill -KILL $pids 2>/dev/null || true
      sleep 0.2
    done
    ip netns delete "$ns"
  done
  # The host ends of the veths: a deleted namespace can outlive its name (a copy of its /run/netns
  # bind mount in some other mount namespace keeps it), and its veth pair with it.
  for v in $(ip -o link show | awk -F': ' -v p="${bridge}v" 'index($2, p) == 1 { sub(/@.*/, "", $2); print $2 }'); do
    # Gone meanwhile is fine (a namespace's deletion takes its veths asynchronously): an if, so a
    # failed last delete does not end the loop, and this script, with status 1 (set -e).
    if [[ $v =~ ^${bridge}v[0-9]+$ ]]; then ip link delete "$v" 2>/dev/null || true; fi
  done
  ip link show dev "$bridge" >/dev/null 2>&1 && ip link delete "$bridge"
  return 0
}

case ${1:-} in
  up) (($# >= 3)) || { usage >&2; exit 2; }; shift; ns_up "$@" ;;
  down) (($# >= 2)) || { usage >&2; exit 2; }; shift; ns_down "$@" ;;
  -h | --help) usage ;;
  *) usage >&2; exit 2 ;;
esac
