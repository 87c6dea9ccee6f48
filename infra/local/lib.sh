# shellcheck shell=bash
# Shared configuration and helpers for infra/local/{up,down,status}.sh (sourced, never executed).
#
# All names, ports and paths of the local cluster live here. Overridable through the
# environment (use the same values for up.sh and status.sh):
#   KP_ETCD_PORTS          client ports of etcd members m1 m2 m3 (default "2379 22379 32379");
#                          each member's peer port is its client port + 1
#   KP_NATS_PORT           NATS client port       (default 4222)
#   KP_NATS_MONITOR_PORT   NATS HTTP monitor port (default 8222)
#   KP_READY_TIMEOUT       seconds up.sh waits for etcd/NATS readiness (default 20)
#   KP_STOP_TIMEOUT        seconds down.sh waits after SIGTERM before SIGKILL (default 10)
#   KP_REGISTRY_PORT       the local image registry's port on 127.0.0.1 (default 5000)
# The nodes (names, bridges, pod CIDRs, kubelet ports) are fixed below: everything make up creates
# on the host is named kp-n* (bridges), kubeplane-local (nft table, cgroup parent) or kube-proxy
# (kube-proxy's nft table), inside 10.244.0.0/16 (pods), 10.96.0.0/12 (Services) and
# 10.245.0.0/28 (LoadBalancer pool).

KP_LOCAL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
KP_ROOT=$(cd "$KP_LOCAL_DIR/../.." && pwd -P)
KP_DATA_DIR=$KP_LOCAL_DIR/.data          # git-ignored; removed by `down.sh --purge`
KP_RUN_DIR=$KP_DATA_DIR/run              # <name>.pid ("PID STARTTIME"), <name>.cmd (argv, NUL-separated), <name>.addr
KP_LOG_DIR=$KP_DATA_DIR/logs             # <name>.log
KP_SERVICES_LIST=$KP_LOCAL_DIR/services.list
KP_SUPERVISE=$KP_LOCAL_DIR/supervise.sh

KP_HOST=127.0.0.1                        # loopback only, on purpose
KP_ETCD_NAMES=(m1 m2 m3)
KP_ETCD_TOKEN=kubeplane-local
KP_NATS_PORT=${KP_NATS_PORT:-4222}
KP_NATS_MONITOR_PORT=${KP_NATS_MONITOR_PORT:-8222}
KP_READY_TIMEOUT=${KP_READY_TIMEOUT:-20}
KP_STOP_TIMEOUT=${KP_STOP_TIMEOUT:-10}
KP_REGISTRY_PORT=${KP_REGISTRY_PORT:-5000}

# ---- nodes and the pod/service network (all on this host) -------------------------------
KP_NODES=(node-1 node-2)
KP_NODE_BRIDGES=(kp-n1 kp-n2)                      # one Linux bridge per node, made by up.sh
KP_NODE_CIDRS=(10.244.1.0/24 10.244.2.0/24)        # each node's pod CIDR (Node spec.podCIDR)
KP_NODE_GATEWAYS=(10.244.1.1 10.244.2.1)           # the bridge's address = the pods' gateway
KP_NODE_KUBELET_PORTS=(10250 10350)                # kubelet gRPC (logs/exec/stats), on 127.0.0.1
KP_NODE_KUBELET_HTTP_PORTS=(10255 10355)           # kubelet /metrics /healthz /readyz
KP_CLUSTER_CIDR=10.244.0.0/16
KP_SERVICE_CIDR=10.96.0.0/12
# Dual stack (docs/networking.md): the IPv6 side, unique local addresses (fd00::/8) the host routes nowhere else.
KP_NODE_CIDRS6=(fd00:10:244:1::/64 fd00:10:244:2::/64)   # each node's IPv6 pod CIDR (Node spec.podCIDRs[1])
KP_NODE_GATEWAYS6=(fd00:10:244:1::1 fd00:10:244:2::1)
KP_CLUSTER_CIDR6=fd00:10:244::/56
KP_SERVICE_CIDR6=fd00:10:96::/112
KP_LB_POOL=10.245.0.0/28
KP_DNS_SERVICE_IP=10.96.0.10
KP_DNS_PORT=1053                                    # the dns service on the host, on kp-n1's address
KP_NFT_TABLE=kubeplane-local                        # make up's own nft table (ip family)
KP_CGROUP_PARENT=kubeplane-local                    # pods' cgroups: /<this>/<node>/pod<uid>
KP_CNI_BIN_DIR=${KP_CNI_BIN_DIR:-/usr/lib/cni}
KP_SANDBOX_IMAGE=docker.io/kubeplane/pause:3.9
KP_BUSYBOX_IMAGE=library/busybox:1.36

kp_say() { printf '%s\n' "$*"; }
kp_warn() { printf 'warning: %s\n' "$*" >&2; }
kp_die() { printf 'error: %s\n' "$*" >&2; exit 1; }
kp_rel() { printf '%s' "${1#"$KP_ROOT"/}"; }   # path relative to the repository root, for display

kp_is_port() { [[ $1 =~ ^[0-9]+$ ]] && (($1 >= 1 && $1 <= 65534)); }

# --- derived configuration ---------------------------------------------------------------
IFS=', ' read -r -a KP_ETCD_CLIENT_PORTS <<<"${KP_ETCD_PORTS:-2379 22379 32379}"
((${#KP_ETCD_CLIENT_PORTS[@]} == ${#KP_ETCD_NAMES[@]})) ||
  kp_die "KP_ETCD_PORTS must list ${#KP_ETCD_NAMES[@]} client ports (got '${KP_ETCD_PORTS:-}')"
KP_ETCD_PEER_PORTS=()
for _p in "${KP_ETCD_CLIENT_PORTS[@]}" "$KP_NATS_PORT" "$KP_NATS_MONITOR_PORT"; do
  kp_is_port "$_p" || kp_die "invalid port '$_p' (KP_ETCD_PORTS / KP_NATS_PORT / KP_NATS_MONITOR_PORT)"
done
# Peer = client + 1; metrics (plain http on loopback, as kubeadm's :2381, for Prometheus) = client + 2.
KP_ETCD_METRICS_PORTS=()
for _p in "${KP_ETCD_CLIENT_PORTS[@]}"; do KP_ETCD_PEER_PORTS+=($((_p + 1))); KP_ETCD_METRICS_PORTS+=($((_p + 2))); done
_all_ports=$(printf '%s\n' "${KP_ETCD_CLIENT_PORTS[@]}" "${KP_ETCD_PEER_PORTS[@]}" "${KP_ETCD_METRICS_PORTS[@]}" "$KP_NATS_PORT" "$KP_NATS_MONITOR_PORT")
[[ -z $(sort <<<"$_all_ports" | uniq -d) ]] || kp_die "port collision among: $(tr '\n' ' ' <<<"$_all_ports")"
unset _p _all_ports

KP_ETCD_INITIAL_CLUSTER=
KP_ETCD_ENDPOINTS=
for _i in "${!KP_ETCD_NAMES[@]}"; do
  KP_ETCD_INITIAL_CLUSTER+="${KP_ETCD_INITIAL_CLUSTER:+,}${KP_ETCD_NAMES[_i]}=https://$KP_HOST:${KP_ETCD_PEER_PORTS[_i]}"
  KP_ETCD_ENDPOINTS+="${KP_ETCD_ENDPOINTS:+,}https://$KP_HOST:${KP_ETCD_CLIENT_PORTS[_i]}"
done
unset _i
KP_NATS_URL=tls://$KP_HOST:$KP_NATS_PORT

# The cluster PKI (kpctl pki init): CAs, every component's and node's certificate, 0600 files.
KP_PKI_DIR=$KP_DATA_DIR/pki
# kpctl's context file (kubeconfig-shaped): make up adds the admin's context "kubeplane-local" and selects it.
KP_KPCTL_CONFIG=${KUBEPLANE_CONFIG:-$HOME/.kubeplane/config}

# Component names of the infrastructure, in start order. Services get the names from services.list.
KP_INFRA_COMPONENTS=()
for _n in "${KP_ETCD_NAMES[@]}"; do KP_INFRA_COMPONENTS+=("etcd-$_n"); done
KP_INFRA_COMPONENTS+=(nats registry)
for _n in "${KP_NODES[@]}"; do KP_INFRA_COMPONENTS+=("containerd-$_n"); done
unset _n

kp_is_infra() { [[ $1 == etcd-* || $1 == nats || $1 == registry || $1 == containerd-* ]]; }
kp_containerd_dir() { printf '%s' "$KP_DATA_DIR/containerd-$1"; }   # NODE
kp_containerd_sock() { printf '%s' "$KP_DATA_DIR/containerd-$1/containerd.sock"; }
kp_ctr() { local node=$1; shift; ctr --address "$(kp_containerd_sock "$node")" --namespace k8s.io "$@"; }
kp_pidfile() { printf '%s' "$KP_RUN_DIR/$1.pid"; }
kp_cmdfile() { printf '%s' "$KP_RUN_DIR/$1.cmd"; }
kp_addrfile() { printf '%s' "$KP_RUN_DIR/$1.addr"; }
kp_logfile() { printf '%s' "$KP_LOG_DIR/$1.log"; }

# Default address of an infrastructure component (services: "-"). A running component's
# address is the one recorded in run/<name>.addr at start (see kp_address).
kp_default_address() {
  local name=$1 i
  case $name in
    etcd-*)
      for i in "${!KP_ETCD_NAMES[@]}"; do
        if [[ $name == "etcd-${KP_ETCD_NAMES[i]}" ]]; then
          printf 'https://%s:%s (peer :%s, metrics :%s)' "$KP_HOST" "${KP_ETCD_CLIENT_PORTS[i]}" "${KP_ETCD_PEER_PORTS[i]}" "${KP_ETCD_METRICS_PORTS[i]}"
          return
        fi
      done
      printf -- '-' ;;
    nats) printf '%s (monitor http://%s:%s)' "$KP_NATS_URL" "$KP_HOST" "$KP_NATS_MONITOR_PORT" ;;
    registry) printf 'http://%s:%s' "$KP_HOST" "$KP_REGISTRY_PORT" ;;
    containerd-*) printf 'unix://%s' "$(kp_rel "$(kp_containerd_sock "${name#containerd-}")")" ;;
    *) printf -- '-' ;;
  esac
}
kp_address() {
  local f
  f=$(kp_addrfile "$1")
  if [[ -s $f ]]; then cat -- "$f"; else kp_default_address "$1"; fi
}

# Fields of /proc/PID/stat after the "(comm)" field, as an array: [0]=state [1]=ppid [2]=pgrp ... [19]=starttime
kp_proc_stat() {
  local -n _out=$2
  local stat
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  read -r -a _out <<<"${stat##*) }"
}

# kp_state NAME: sets KP_STATE to running | stopped | dead | foreign, and KP_PID (empty if no pid file).
#   stopped  no pid file
#   dead     pid file, but that process has exited
#   foreign  the pid now belongs to another process (other start time or command line): never touch it
#   running  the process we started: same pid, same start time and the same command line (or, if it
#            rewrote its argv, e.g. node's process.title, still the child of our supervisor for it)
kp_state() {
  local name=$1 pidfile cmdfile pid= start= f=() parent_cmd
  KP_PID= KP_STATE=stopped
  pidfile=$(kp_pidfile "$name")
  cmdfile=$(kp_cmdfile "$name")
  [[ -f $pidfile ]] || return 0
  KP_STATE=dead
  read -r pid start <"$pidfile" || true
  [[ $pid =~ ^[0-9]+$ && $start =~ ^[0-9]+$ ]] || return 0
  KP_PID=$pid
  kp_proc_stat "$pid" f || return 0
  [[ ${f[0]} != Z && ${f[0]} != X ]] || return 0
  KP_STATE=foreign
  [[ ${f[19]} == "$start" ]] || return 0
  if [[ -f $cmdfile ]] && cmp -s "/proc/$pid/cmdline" "$cmdfile"; then KP_STATE=running; return 0; fi
  # Same pid and start time, other command line: accept only if its parent is our supervisor
  # for this very pid file (a recycled pid cannot have that parent).
  parent_cmd=$({ tr '\0' '\n' <"/proc/${f[1]}/cmdline"; } 2>/dev/null || true)
  if grep -qxF -- "$KP_SUPERVISE" <<<"$parent_cmd" && grep -qxF -- "$pidfile" <<<"$parent_cmd"; then
    KP_STATE=running
  fi
  return 0
}

kp_clear_run_files() { rm -f -- "$(kp_pidfile "$1")" "$(kp_cmdfile "$1")" "$(kp_addrfile "$1")"; }

# Is something (anything) listening on 127.0.0.1:PORT?
kp_port_in_use() { (exec 3<>"/dev/tcp/$KP_HOST/$1") 2>/dev/null; }

kp_tail_log() {
  local log
  log=$(kp_logfile "$1")
  printf -- '--- last lines of %s ---\n' "$(kp_rel "$log")" >&2
  if [[ -s $log ]]; then tail -n "${2:-25}" -- "$log" >&2; else printf '(empty)\n' >&2; fi
  printf -- '---\n' >&2
}

# Service names (first word of each entry) from services.list, in file order.
kp_service_names() {
  local name _rest
  [[ -f $KP_SERVICES_LIST ]] || return 0
  while read -r name _rest || [[ -n ${name:-} ]]; do
    [[ -z ${name:-} || $name == \#* ]] && continue
    printf '%s\n' "$name"
  done <"$KP_SERVICES_LIST"
}

# Names of everything that has a pid file, services first (reverse start order is not
# tracked for services; they are independent), then containerds, registry, nats, etcd members.
kp_recorded_components() {
  local f n
  [[ -d $KP_RUN_DIR ]] || return 0
  for f in "$KP_RUN_DIR"/*.pid; do
    [[ -e $f ]] || continue
    n=$(basename -- "$f" .pid)
    kp_is_infra "$n" || printf '%s\n' "$n"
  done
  for n in "${KP_NODES[@]/#/containerd-}" registry nats "${KP_ETCD_NAMES[@]/#/etcd-}"; do
    [[ -e $(kp_pidfile "$n") ]] && printf '%s\n' "$n"
  done
  return 0
}

# Serialise up/down (status does not need the lock).
kp_lock() {
  mkdir -p -- "$KP_DATA_DIR"
  exec 9>"$KP_DATA_DIR/.lock"
  flock -w 30 9 || kp_die "another infra/local up/down is running (lock $(kp_rel "$KP_DATA_DIR/.lock"))"
}

# Print TAB-separated rows (first row = header) as aligned columns.
kp_table() {
  awk -F'\t' '
    { for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } if (NF > nf) nf = NF }
    END { for (r = 1; r <= NR; r++) { line = ""
            for (i = 1; i <= nf; i++) line = line sprintf(i < nf ? "%-" w[i] + 2 "s" : "%s", cell[r, i])
            print line } }'
}
