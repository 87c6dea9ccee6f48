#!/usr/bin/env bash
# Stops exactly what infra/local/up.sh started (found by pid files, identity re-checked before every signal); run by `make down`.
set -euo pipefail
# shellcheck source=infra/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=infra/local/containerd.sh
source "$KP_LOCAL_DIR/containerd.sh"
source "$KP_LOCAL_DIR/prometheus.sh" # shellcheck source=infra/local/prometheus.sh

usage() {
  cat <<USAGE
usage: infra/local/down.sh [--purge]
Stops the services (kubelets included), removes every pod container of the nodes' containerds, stops
them, the registry, NATS and etcd (SIGTERM, up to ${KP_STOP_TIMEOUT}s grace, then SIGKILL), then removes
what up.sh made on the host: mounts under $(kp_rel "$KP_DATA_DIR"), bridges ${KP_NODE_BRIDGES[*]}, nft tables
ip/ip6 kube-proxy and ip/ip6 $KP_NFT_TABLE, inet kubeplane-netpol (NetworkPolicy), pod cgroups under /$KP_CGROUP_PARENT.
A pid whose start time or command line no longer matches what up.sh started is never signalled.
Data in $(kp_rel "$KP_DATA_DIR") is kept; --purge deletes it as well.
USAGE
}
purge=0
for arg in "$@"; do
  case $arg in
    --purge) purge=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

if [[ ! -d $KP_DATA_DIR ]]; then
  kp_say "nothing to stop ($(kp_rel "$KP_DATA_DIR") does not exist)"
  exit 0
fi
kp_lock

# Signal NAME's process (its whole process group when it leads one, as supervise.sh arranges:
# the group holds only that process and its descendants). Re-checks identity first.
kp_signal() {
  local name=$1 sig=$2 f=()
  kp_state "$name"
  [[ $KP_STATE == running ]] || return 1
  kp_proc_stat "$KP_PID" f || return 1
  if [[ ${f[2]} == "$KP_PID" ]]; then
    kill "-$sig" -- "-$KP_PID" 2>/dev/null || kill "-$sig" "$KP_PID" 2>/dev/null || return 1
  else
    kill "-$sig" "$KP_PID" 2>/dev/null || return 1
  fi
}

failed=()
stopped_any=0
# kp_stop_group NAME...: stop these components together.
kp_stop_group() {
  local name deadline signalled=() left=() n
  declare -A pid_of=()
  for name in "$@"; do
    kp_state "$name"
    case $KP_STATE in
      running)
        pid_of[$name]=$KP_PID
        if kp_signal "$name" TERM; then signalled+=("$name"); fi ;;
      dead) kp_say "$name: was not running (stale pid file for pid $KP_PID removed)"; kp_clear_run_files "$name" ;;
      foreign) kp_say "$name: pid $KP_PID belongs to another process now; not touching it (stale pid file removed)"; kp_clear_run_files "$name" ;;
      stopped) ;;
    esac
  done
  ((${#signalled[@]})) || return 0
  deadline=$((SECONDS + KP_STOP_TIMEOUT))
  left=("${signalled[@]}")
  while ((${#left[@]})) && ((SECONDS < deadline)); do
    sleep 0.2
    n=()
    for name in "${left[@]}"; do
      kp_state "$name"
      [[ $KP_STATE == running ]] && n+=("$name")
    done
    left=("${n[@]}")
  done
  for name in "${left[@]}"; do
    kp_say "$name: still running ${KP_STOP_TIMEOUT}s after SIGTERM; sending SIGKILL"
    kp_signal "$name" KILL || true
  done
  for name in "${signalled[@]}"; do
    for ((n = 0; n < 25; n++)); do
      kp_state "$name"
      [[ $KP_STATE == running ]] || break
      sleep 0.2
    done
    if [[ $KP_STATE == running ]]; then
      kp_warn "$name: pid ${pid_of[$name]} is still running"
      failed+=("$name")
    else
      kp_say "stopped $name (pid ${pid_of[$name]})"
      kp_clear_run_files "$name"
      stopped_any=1
    fi
  done
}

services=()
while read -r name; do
  kp_is_infra "$name" || services+=("$name")
done < <(kp_recorded_components)
kp_prometheus_stop # before the services, so it records no alerts about their stop
((${#services[@]} == 0)) || kp_stop_group "${services[@]}" # services first, they use etcd and NATS
# Pods: the kubelets are gone (they would restart them), so remove every container, then containerd.
for node in "${KP_NODES[@]}"; do
  kp_state "containerd-$node"
  [[ $KP_STATE != running ]] || kp_containerd_clear "$node"
done
kp_stop_group "${KP_NODES[@]/#/containerd-}"
for node in "${KP_NODES[@]}"; do
  [[ ! -d $(kp_containerd_dir "$node") ]] || kp_containerd_sweep "$node"
done
kp_stop_group registry
kp_stop_group nats
# etcd: followers first, the leader last. A leader stopped while its followers are still
# connected tries to hand over leadership to a member that is itself stopping, and hangs ~7 s.
etcd_leader= etcd_followers=()
for i in "${!KP_ETCD_NAMES[@]}"; do
  name=etcd-${KP_ETCD_NAMES[i]}
  metrics=$(curl -fsS --max-time 1 "http://$KP_HOST:${KP_ETCD_METRICS_PORTS[i]}/metrics" 2>/dev/null || true)
  if grep -q '^etcd_server_is_leader 1' <<<"$metrics"; then
    etcd_leader=$name
  else
    etcd_followers+=("$name")
  fi
done
kp_stop_group "${etcd_followers[@]}"
[[ -z $etcd_leader ]] || kp_stop_group "$etcd_leader"

# What up.sh made on the host (each step is a no-op when already gone).
kp_unmount_under "$KP_DATA_DIR"
kp_net_down
kp_remove_pod_cgroups

((stopped_any)) || kp_say "nothing was running"
if ((${#failed[@]})); then
  ((purge)) && kp_warn "data not purged because something is still running"
  kp_die "could not stop: ${failed[*]}"
fi
if ((purge)); then
  [[ $KP_DATA_DIR == */infra/local/.data ]] || kp_die "refusing to delete unexpected data dir $KP_DATA_DIR"
  rm -rf -- "$KP_DATA_DIR"
  kp_say "deleted $(kp_rel "$KP_DATA_DIR")"
fi
