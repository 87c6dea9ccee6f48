#!/usr/bin/env bash
# make down-ha: stops the simulated machines of make up-ha and removes everything it made (namespaces, bridge, processes, containers, mounts, cgroups); --purge also deletes .local/ha.
set -euo pipefail
# shellcheck source=infra/deploy/ha/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$KP_HA_ROOT"
purge=0
case ${1:-} in
  '') ;;
  --purge) purge=1 ;;
  *) echo "usage: infra/deploy/ha/down.sh [--purge]" >&2; exit 2 ;;
esac
[[ $(id -u) == 0 ]] || kp_ha_die "make down-ha needs root"

# 1. Each machine's runner stops its units in reverse order (SIGTERM, then SIGKILL after their TimeoutStopSec).
pids=()
for m in "${KP_HA_MACHINES[@]}"; do
  f=$KP_HA_DIR/machines/$m/var/lib/kubeplane/unit-runner.pid
  [[ -s $f ]] || continue
  pid=$(<"$f")
  if kill -0 "$pid" 2>/dev/null && grep -q cli-runner "/proc/$pid/cmdline" 2>/dev/null; then
    kill -TERM "$pid" && pids+=("$pid")
  fi
  rm -f -- "$f"
done
for _ in $(seq 300); do
  alive=0
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
  ((alive)) || break
  sleep 0.1
done
((${#pids[@]} == 0)) || kp_ha_say "stopped ${#pids[@]} machines' units"

# 2. Containers the workers' containerds left (shims run in the namespaces and die with step 3; runc state is global).
if [[ -d /run/containerd/runc/k8s.io ]]; then
  while read -r id bundle; do
    [[ $bundle == "$KP_HA_DIR/"* ]] || continue
    # An if, not `&&`: a failed last delete would end the loop with status 1 and stop this script (set -e).
    if runc --root /run/containerd/runc/k8s.io delete --force "$id" >/dev/null 2>&1; then kp_ha_say "deleted leftover container $id"; fi
  done < <(runc --root /run/containerd/runc/k8s.io list --format json 2>/dev/null | jq -r '.[]? | "\(.id) \(.bundle)"' 2>/dev/null || true)
fi

# 3. Every process left in a machine's namespace, the namespaces (their veths, nft tables and routes go with them), the bridge.
infra/deploy/ha/netns.sh down "$KP_HA_BRIDGE" "${KP_HA_MACHINES[@]}"
kp_ha_say "deleted namespaces $(kp_ha_ns '*') and bridge $KP_HA_BRIDGE"

# 4. The registry on the bridge.
if [[ -s $KP_HA_DIR/registry.pid ]]; then
  pid=$(<"$KP_HA_DIR/registry.pid")
  kill -0 "$pid" 2>/dev/null && grep -q docker-registry "/proc/$pid/cmdline" 2>/dev/null && kill -TERM "$pid"
  rm -f -- "$KP_HA_DIR/registry.pid"
fi

# 5. Mounts under the machines' roots (overlay snapshots, sandboxes' netns files), deepest first; pods' cgroups.
n=0
while IFS= read -r mnt; do
  umount -- "$mnt" 2>/dev/null || umount -l -- "$mnt" 2>/dev/null || kp_ha_say "could not unmount $mnt"
  n=$((n + 1))
done < <(awk -v d="$KP_HA_DIR/" 'index($5, d) == 1 { print length($5) "\t" $5 }' /proc/self/mountinfo | sort -rn | cut -f2-)
((n == 0)) || kp_ha_say "unmounted $n mounts under ${KP_HA_DIR#"$KP_HA_ROOT/"}"
for m in "${KP_HA_MACHINES[@]}"; do
  for d in /sys/fs/cgroup/kubeplane/"$m" /sys/fs/cgroup/*/kubeplane/"$m"; do
    [[ ! -d $d ]] || find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
done
for d in /sys/fs/cgroup/kubeplane /sys/fs/cgroup/*/kubeplane; do [[ ! -d $d ]] || rmdir "$d" 2>/dev/null || true; done
((purge == 0)) || { rm -rf -- "$KP_HA_DIR"; kp_ha_say "deleted ${KP_HA_DIR#"$KP_HA_ROOT/"}"; }
kp_ha_say "down"
