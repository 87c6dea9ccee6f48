#!/usr/bin/env bash
# Restores the local cluster's etcd from a backup (`make restore SNAPSHOT=FILE`): every member from the same snapshot, revision bumped, watch stream reset.
set -euo pipefail
# shellcheck source=infra/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<USAGE
usage: infra/local/restore.sh SNAPSHOT [BUMP_REVISION]
Restores the local cluster from SNAPSHOT (from \`kpctl backup save\` or \`etcdctl snapshot save\`):
  1. checks it (sha256 against SNAPSHOT.meta.json, etcd's own hash) and prepares the snapshot every
     member is restored from: revision moved on by BUMP_REVISION (default 10000) and past the live
     cluster's, everything before it compacted (etcdutl's --bump-revision --mark-compacted);
  2. stops the control plane (${KP_CONTROL_PLANE[*]}), then purges the watch stream;
  3. stops etcd (${KP_ETCD_NAMES[*]}), moves each member's data aside and restores it from the snapshot;
  4. starts everything again with infra/local/up.sh.
Kubelets, kube-proxy, dns and NATS keep running: their informers relist on the watch stream's gap.
Old data stays in $(kp_rel "$KP_DATA_DIR/etcd")/<member>.pre-restore-<time> until you delete it.
USAGE
}

kp_pem() { printf '%s' "$KP_PKI_DIR/$1"; } # FILE in the PKI directory (as up.sh)
KP_CONTROL_PLANE=(apiserver nats-authorizer controller-manager scheduler cloud-controller-manager ingress-controller)
case ${1:-} in
  '' | -h | --help) usage; [[ -n ${1:-} ]]; exit $? ;;
esac
snapshot=$(realpath -- "$1")
bump=${2:-10000}
[[ -f $snapshot ]] || kp_die "$1: no such file"
[[ $bump =~ ^[0-9]+$ ]] || kp_die "BUMP_REVISION must be a number, got '$bump'"
[[ -d $KP_DATA_DIR/etcd ]] || kp_die "no local cluster data in $(kp_rel "$KP_DATA_DIR") (make up first)"
cd "$KP_ROOT"
RESTORE=(node services/apiserver/dist/src/restore-main.js)
[[ -f ${RESTORE[1]} ]] || kp_die "${RESTORE[1]} is missing: run make build"
while read -r v; do unset "$v"; done < <(compgen -e | grep '^ETCD' || true)

# kp_stop NAME...: SIGTERM to each running component's process group, SIGKILL after KP_STOP_TIMEOUT.
kp_stop() {
  local name deadline left=() n
  for name in "$@"; do
    kp_state "$name"
    [[ $KP_STATE == running ]] || continue
    kill -TERM -- "-$KP_PID" 2>/dev/null || kill -TERM "$KP_PID" 2>/dev/null || true
    left+=("$name")
  done
  deadline=$((SECONDS + KP_STOP_TIMEOUT))
  while ((${#left[@]})); do
    n=()
    for name in "${left[@]}"; do
      kp_state "$name"
      [[ $KP_STATE == running ]] && n+=("$name")
    done
    left=("${n[@]}")
    ((${#left[@]})) || break
    if ((SECONDS >= deadline)); then
      for name in "${left[@]}"; do
        kp_state "$name"
        kp_say "$name: still running after ${KP_STOP_TIMEOUT}s; SIGKILL"
        kill -KILL -- "-$KP_PID" 2>/dev/null || kill -KILL "$KP_PID" 2>/dev/null || true
      done
      deadline=$((SECONDS + 5))
    fi
    sleep 0.2
  done
  for name in "$@"; do kp_say "$name: stopped"; done
}

t0=$EPOCHREALTIME
prepared=$KP_DATA_DIR/etcd/restore-prepared.db
kp_say "[1/4] checking $snapshot and preparing the snapshot to restore"
"${RESTORE[@]}" prepare --snapshot "$snapshot" --out "$prepared" --bump-revision "$bump" \
  --etcd-endpoints "$KP_ETCD_ENDPOINTS" --etcd-ca-file "$(kp_pem etcd-ca.crt)" \
  --etcd-cert-file "$(kp_pem apiserver-etcd-client.crt)" --etcd-key-file "$(kp_pem apiserver-etcd-client.key)" >/dev/null

kp_lock
kp_say "[2/4] stopping the control plane and resetting the watch stream"
kp_stop "${KP_CONTROL_PLANE[@]}"
"${RESTORE[@]}" reset-watch-stream --nats-url "$KP_NATS_URL" --ca-file "$(kp_pem ca.crt)" \
  --nats-cert-file "$(kp_pem apiserver-nats-client.crt)" --nats-key-file "$(kp_pem apiserver-nats-client.key)"

kp_say "[3/4] stopping etcd and restoring every member from the same snapshot"
kp_stop "${KP_ETCD_NAMES[@]/#/etcd-}"
members=()
for i in "${!KP_ETCD_NAMES[@]}"; do
  m=${KP_ETCD_NAMES[i]}
  members+=(--member "$m=https://$KP_HOST:${KP_ETCD_PEER_PORTS[i]}=$KP_DATA_DIR/etcd/$m")
done
"${RESTORE[@]}" restore-members --snapshot "$prepared" --initial-cluster-token "$KP_ETCD_TOKEN" "${members[@]}"
rm -f -- "$prepared"
exec 9>&- # up.sh takes the lock itself

kp_say "[4/4] starting the cluster again"
"$KP_LOCAL_DIR/up.sh"
kp_say "restored from $snapshot in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')s"
