#!/usr/bin/env bash
# Rolling upgrade: re-renders the kubeplane chart (new values or a new build) and re-installs the machines one at a time, each gated on health.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
  cat <<USAGE
usage: infra/deploy/rolling-upgrade.sh --pki-dir DIR --out DIR [-f VALUES.yaml]... [--set k=v]...
           [--netns-prefix PREFIX | --ssh [--ssh-user USER] [--remote-dir DIR]] [--kpctl-config FILE] [--timeout SECONDS]
1. Renders the chart again into --out (infra/deploy/render.sh: new values, a new build in
   install.kubeplaneDir, certificates renewed or added for new machines).
2. Checks that every machine is healthy before touching any (infra/deploy/health.sh).
3. Control-plane machines first, then workers, ONE AT A TIME: installs the machine's new bundle
   (its units restart: systemd, or the unit runner), then waits until that machine passes its
   health gates — etcd member healthy, NATS up, apiserver ready; a worker's Node Ready — and the
   whole control plane is healthy again before the next machine. Stops at the first machine that
   does not become healthy within --timeout (default 180 s), leaving the rest on the old bundle.
How a machine is reached: --netns-prefix (simulated machines: nsenter --net=/run/netns/PREFIXMACHINE), or
--ssh (rsync the bundle to ADDRESS:--remote-dir, default /var/lib/kubeplane-bundle, and run
install.sh there from a Kubeplane checkout at install.kubeplaneDir).
USAGE
}
render_args=() pki= out= netns_prefix= ssh=0 ssh_user=root remote_dir=/var/lib/kubeplane-bundle timeout=180 kpctl_config=${KUBEPLANE_CONFIG:-}
while (($#)); do
  case $1 in
    --pki-dir) pki=$2; render_args+=("$1" "$2"); shift 2 ;;
    --out) out=$2; render_args+=("$1" "$2"); shift 2 ;;
    -f | --values | --set | --chart) render_args+=("$1" "$2"); shift 2 ;;
    --netns-prefix) netns_prefix=$2; shift 2 ;;
    --ssh) ssh=1; shift ;;
    --ssh-user) ssh_user=$2; shift 2 ;;
    --remote-dir) remote_dir=$2; shift 2 ;;
    --kpctl-config) kpctl_config=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ -n $pki && -n $out ]] || { usage >&2; exit 2; }
[[ -n $netns_prefix || $ssh == 1 ]] || { echo "rolling-upgrade.sh: say how machines are reached: --netns-prefix or --ssh" >&2; exit 2; }
say() { printf '[rolling-upgrade] %s %s\n' "$(date -u +%H:%M:%S)" "$*"; }
health() { "$here/health.sh" ${kpctl_config:+--kpctl-config "$kpctl_config"} "$@"; }

say "rendering the chart into $out"
"$here/render.sh" "${render_args[@]}" | sed 's/^/  /'
mapfile -t cps < <(for d in "$out"/*/; do [[ $(jq -r .role "$d/machine.json") == control-plane ]] && printf '%s\n' "${d%/}"; done)
mapfile -t workers < <(for d in "$out"/*/; do [[ $(jq -r .role "$d/machine.json") == worker ]] && printf '%s\n' "${d%/}"; done)
say "control plane: ${#cps[@]} machines, workers: ${#workers[@]}"
health "${cps[@]}" "${workers[@]}" >/dev/null || { health "${cps[@]}" "${workers[@]}" || true; say "the cluster is not healthy before the upgrade: nothing changed"; exit 1; }

install_on() { # BUNDLE
  local b=$1 name address
  name=$(jq -r .name "$b/machine.json") address=$(jq -r .address "$b/machine.json")
  if [[ -n $netns_prefix ]]; then
    nsenter --net="/run/netns/$netns_prefix$name" "$here/install.sh" --runner "$b" # not ip netns exec: it hides /sys/fs/cgroup
  else
    rsync -a --delete "$b/" "$ssh_user@$address:$remote_dir/"
    # The remote machine has a Kubeplane checkout at the same path as this one (install.kubeplaneDir).
    ssh "$ssh_user@$address" "$(printf '%q/install.sh %q' "$here" "$remote_dir")"
  fi
}

for b in "${cps[@]}" "${workers[@]}"; do
  name=$(jq -r .name "$b/machine.json") t0=$SECONDS
  say "$name: installing the new bundle"
  install_on "$b" | sed 's/^/  /'
  if ! health --wait "$timeout" "$b" | sed 's/^/  /'; then
    say "$name did not become healthy within ${timeout}s: stopping here (machines after it keep their old bundle)"
    exit 1
  fi
  health --wait "$timeout" "${cps[@]}" >/dev/null || { say "the control plane is not healthy after $name: stopping here"; exit 1; }
  say "$name: upgraded and healthy after $((SECONDS - t0))s"
done
say "all $((${#cps[@]} + ${#workers[@]})) machines upgraded"
