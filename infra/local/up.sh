#!/usr/bin/env bash
# Starts the local Kubeplane cluster on this host (3-member etcd, NATS with JetStream, an image registry, one containerd per node, the host network, then the services in services.list); run by `make up`.
set -euo pipefail
# shellcheck source=infra/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=infra/local/containerd.sh
source "$KP_LOCAL_DIR/containerd.sh"
source "$KP_LOCAL_DIR/prometheus.sh" # shellcheck source=infra/local/prometheus.sh

usage() {
  cat <<USAGE
usage: infra/local/up.sh
Starts etcd members ${KP_ETCD_NAMES[*]} (client ports ${KP_ETCD_CLIENT_PORTS[*]}), nats-server with JetStream
(${KP_NATS_URL}, monitor :${KP_NATS_MONITOR_PORT}), docker-registry (:${KP_REGISTRY_PORT}), one containerd per node
(${KP_NODES[*]}), the bridges ${KP_NODE_BRIDGES[*]}, and every service in $(kp_rel "$KP_SERVICES_LIST"),
as background processes with pid files; then applies infra/local/cluster.yaml.
Idempotent: running components are left alone. Needs root (bridges, nftables, containers).
Data and logs: $(kp_rel "$KP_DATA_DIR"). Stop with infra/local/down.sh (make down).
USAGE
}
case ${1:-} in
  '') ;;
  -h | --help) usage; exit 0 ;;
  *) usage >&2; exit 2 ;;
esac

for cmd in etcd nats-server curl setsid flock awk docker-registry skopeo containerd ctr runc nft ip busybox; do
  command -v "$cmd" >/dev/null ||
    kp_die "'$cmd' is not on PATH (on a fresh machine \`make up\` installs it: see DEBIAN_PACKAGES in the Makefile)"
done
[[ -x $KP_CNI_BIN_DIR/bridge && -x $KP_CNI_BIN_DIR/host-local ]] ||
  kp_die "CNI plugins not found in $KP_CNI_BIN_DIR (Debian: containernetworking-plugins)"
[[ $(id -u) == 0 ]] || kp_die "make up needs root: it creates bridges, nftables rules and containers"

kp_lock
mkdir -p -- "$KP_RUN_DIR" "$KP_LOG_DIR" "$KP_DATA_DIR/etcd" "$KP_DATA_DIR/nats"
cd "$KP_ROOT" # services' relative paths resolve from the repository root
# etcd reads ETCD_* environment variables as flags: stray ones must not change the members.
while read -r v; do unset "$v"; done < <(compgen -e | grep '^ETCD_' || true)

# kp_needs_start NAME: 0 if NAME must be started (clearing a stale pid file), 1 if it already runs.
kp_needs_start() {
  kp_state "$1"
  case $KP_STATE in
    running) kp_say "$1: already running (pid $KP_PID)"; return 1 ;;
    foreign) kp_warn "$1: pid $KP_PID from its pid file now belongs to another process; leaving that process alone" ;;
    dead) kp_say "$1: previous instance (pid $KP_PID) is gone; starting it again" ;;
  esac
  kp_clear_run_files "$1"
  return 0
}

kp_require_free_port() { # NAME PORT...
  local name=$1 port
  shift
  for port in "$@"; do
    kp_port_in_use "$port" && kp_die "$name: 127.0.0.1:$port is already in use by a process these scripts did not start"
  done
  return 0
}

# kp_spawn NAME ADDRESS COMMAND [ARGS...]: start COMMAND detached under supervise.sh.
kp_spawn() {
  local name=$1 addr=$2 pidfile log i
  shift 2
  pidfile=$(kp_pidfile "$name")
  log=$(kp_logfile "$name")
  printf '%s\0' "$@" >"$(kp_cmdfile "$name")"
  printf '%s\n' "$addr" >"$(kp_addrfile "$name")"
  printf '[kubeplane-local] %s: starting %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >>"$log"
  setsid -f bash "$KP_SUPERVISE" "$name" "$pidfile" "$@" </dev/null >>"$log" 2>&1 9>&- # 9 = the up/down lock
  for ((i = 0; i < 50; i++)); do
    [[ -s $pidfile ]] && break
    sleep 0.1
  done
  [[ -s $pidfile ]] || { kp_tail_log "$name"; kp_die "$name: no pid file after 5 s"; }
  read -r KP_PID _ <"$pidfile"
  kp_say "$name: started (pid $KP_PID)"
}

# ---- pre-flight: every port a component still has to take must be free -----------------
for i in "${!KP_ETCD_NAMES[@]}"; do
  kp_state "etcd-${KP_ETCD_NAMES[i]}"
  [[ $KP_STATE == running ]] ||
    kp_require_free_port "etcd-${KP_ETCD_NAMES[i]}" "${KP_ETCD_CLIENT_PORTS[i]}" "${KP_ETCD_PEER_PORTS[i]}" "${KP_ETCD_METRICS_PORTS[i]}"
done
kp_state nats
[[ $KP_STATE == running ]] || kp_require_free_port nats "$KP_NATS_PORT" "$KP_NATS_MONITOR_PORT"
kp_state registry
[[ $KP_STATE == running ]] || kp_require_free_port registry "$KP_REGISTRY_PORT"

# ---- the cluster PKI (idempotent: kept when present, missing or expiring certificates issued) ----
KPCTL=services/kpctl/bin/kpctl
pki_nodes=() pki_members=()
for node in "${KP_NODES[@]}"; do pki_nodes+=("$node=$KP_HOST"); done
for m in "${KP_ETCD_NAMES[@]}"; do pki_members+=("$m=$KP_HOST"); done
"$KPCTL" pki init --dir "$KP_PKI_DIR" --nodes "$(IFS=,; echo "${pki_nodes[*]}")" --etcd-members "$(IFS=,; echo "${pki_members[*]}")" |
  sed 's/^/[kubeplane-local] pki: /'
kp_pem() { printf '%s' "$KP_PKI_DIR/$1"; } # FILE in the PKI directory

# ---- etcd ------------------------------------------------------------------------------
etcd_dir=$KP_DATA_DIR/etcd
cluster_conf=$etcd_dir/cluster.conf # the configuration the existing data was created with
conf="token=$KP_ETCD_TOKEN initial-cluster=$KP_ETCD_INITIAL_CLUSTER tls=mutual"
members_with_data=0
for m in "${KP_ETCD_NAMES[@]}"; do
  [[ -d $etcd_dir/$m/member/wal ]] && members_with_data=$((members_with_data + 1))
done
if ((members_with_data > 0)); then
  if [[ -f $cluster_conf && $(<"$cluster_conf") != "$conf" ]]; then
    kp_die "etcd data in $(kp_rel "$etcd_dir") was created with
  $(<"$cluster_conf")
but the current configuration is
  $conf
Use the same KP_ETCD_PORTS as then, or delete the data with: infra/local/down.sh --purge"
  fi
else
  printf '%s\n' "$conf" >"$cluster_conf"
fi

for i in "${!KP_ETCD_NAMES[@]}"; do
  m=${KP_ETCD_NAMES[i]} name=etcd-${KP_ETCD_NAMES[i]}
  cport=${KP_ETCD_CLIENT_PORTS[i]} pport=${KP_ETCD_PEER_PORTS[i]} mport=${KP_ETCD_METRICS_PORTS[i]}
  kp_needs_start "$name" || continue
  if [[ -d $etcd_dir/$m/member/wal ]]; then
    state=existing # restart from the member's own data (etcd then ignores --initial-cluster)
  elif ((members_with_data > 0)); then
    state=existing
    kp_warn "$name has no data but other members do: it joins the existing cluster and catches up from the leader"
  else
    state=new
  fi
  kp_spawn "$name" "$(kp_default_address "$name")" \
    etcd --name "$m" --data-dir "$etcd_dir/$m" \
    --listen-client-urls "https://$KP_HOST:$cport" --advertise-client-urls "https://$KP_HOST:$cport" \
    --listen-peer-urls "https://$KP_HOST:$pport" --initial-advertise-peer-urls "https://$KP_HOST:$pport" \
    --cert-file "$(kp_pem "etcd-$m.crt")" --key-file "$(kp_pem "etcd-$m.key")" \
    --trusted-ca-file "$(kp_pem etcd-ca.crt)" --client-cert-auth \
    --peer-cert-file "$(kp_pem "etcd-$m.crt")" --peer-key-file "$(kp_pem "etcd-$m.key")" \
    --peer-trusted-ca-file "$(kp_pem etcd-ca.crt)" --peer-client-cert-auth \
    --listen-metrics-urls "http://$KP_HOST:$mport" \
    --initial-cluster "$KP_ETCD_INITIAL_CLUSTER" --initial-cluster-token "$KP_ETCD_TOKEN" \
    --initial-cluster-state "$state" \
    --logger=zap --log-outputs="$(kp_logfile "$name")"
done

# ---- NATS ------------------------------------------------------------------------------
# nats.conf is rendered every time. A running server whose configuration changed reloads it (SIGHUP);
# JetStream is configured in the file, not by flags, so that a reload keeps it on. The users are in
# nats-authorization.conf, which nats.conf includes and the nats-authorizer service owns: it merges the
# static users (every client certificate of the PKI but the nodes', nats-static-users.json, rendered
# here every time) with one user per Node object, and reloads NATS when that changes. The first run
# writes an initial file from the PKI (nodes included) so NATS serves before the authorizer runs.
(umask 077; node --conditions=source --import tsx infra/scripts/nats-authorization.mjs --static-subjects "$KP_PKI_DIR" >"$KP_DATA_DIR/nats-static-users.json")
if [[ ! -f $KP_DATA_DIR/nats-authorization.conf ]]; then
  (umask 077; node --conditions=source --import tsx infra/scripts/nats-authorization.mjs "$KP_PKI_DIR" >"$KP_DATA_DIR/nats-authorization.conf")
fi
nats_conf_new=$(
  # Watch events carry whole objects (up to the apiserver's 1.5 MiB limit): NATS' default 1 MiB payload is too small.
  printf 'max_payload: 4MB\n'
  printf 'jetstream {\n  store_dir: "%s"\n}\n' "$KP_DATA_DIR/nats"
  # Clients authenticate with their certificates (verify_and_map), each mapped to a user with its permissions.
  printf 'tls {\n  cert_file: "%s"\n  key_file: "%s"\n  ca_file: "%s"\n  verify_and_map: true\n  timeout: 2\n}\n' \
    "$(kp_pem nats.crt)" "$(kp_pem nats.key)" "$(kp_pem ca.crt)"
  printf 'include ./nats-authorization.conf\n'
)
nats_conf_changed=0
if [[ ! -f $KP_DATA_DIR/nats.conf || $(<"$KP_DATA_DIR/nats.conf") != "$nats_conf_new" ]]; then
  (umask 077; printf '%s\n' "$nats_conf_new" >"$KP_DATA_DIR/nats.conf")
  nats_conf_changed=1
fi
if kp_needs_start nats; then
  kp_spawn nats "$(kp_default_address nats)" \
    nats-server -c "$KP_DATA_DIR/nats.conf" -n kubeplane-local \
    -a "$KP_HOST" -p "$KP_NATS_PORT" -m "$KP_NATS_MONITOR_PORT" -l "$(kp_logfile nats)"
elif ((nats_conf_changed)); then
  kill -HUP "$KP_PID" && kp_say "nats: configuration changed; reloaded"
fi

# ---- image registry (docker-registry on loopback; pods' images come from it) -----------------
if kp_needs_start registry; then
  mkdir -p -- "$KP_DATA_DIR/registry/storage"
  cat >"$KP_DATA_DIR/registry/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $KP_DATA_DIR/registry/storage
  delete:
    enabled: true
http:
  addr: $KP_HOST:$KP_REGISTRY_PORT
YAML
  kp_spawn registry "$(kp_default_address registry)" docker-registry serve "$KP_DATA_DIR/registry/config.yml"
fi

# ---- host network: bridges kp-n*, routes to the Service CIDR / LB pool, forwarding ----------
kp_net_up
kp_say "host network: bridges ${KP_NODE_BRIDGES[*]} (${KP_NODE_GATEWAYS[*]}), routes $KP_SERVICE_CIDR and $KP_LB_POOL via ${KP_NODE_BRIDGES[0]}"

# ---- one containerd per node ----------------------------------------------------------------
for node in "${KP_NODES[@]}"; do
  kp_needs_start "containerd-$node" || continue
  kp_write_containerd_config "$node"
  kp_spawn "containerd-$node" "$(kp_default_address "containerd-$node")" \
    containerd --config "$(kp_containerd_dir "$node")/config.toml" --log-level warn
done

# ---- readiness -------------------------------------------------------------------------
kp_ready() {
  local name=$1 i out
  case $name in
    etcd-*)
      for i in "${!KP_ETCD_NAMES[@]}"; do
        [[ $name == "etcd-${KP_ETCD_NAMES[i]}" ]] || continue
        out=$(curl -fsS --max-time 2 --cacert "$(kp_pem etcd-ca.crt)" --cert "$(kp_pem apiserver-etcd-client.crt)" --key "$(kp_pem apiserver-etcd-client.key)" \
          "https://$KP_HOST:${KP_ETCD_CLIENT_PORTS[i]}/health" 2>/dev/null) || return 1
        [[ $out == *'"health":"true"'* ]]
        return
      done
      return 1 ;;
    nats) curl -fsS --max-time 2 "http://$KP_HOST:$KP_NATS_MONITOR_PORT/healthz" >/dev/null 2>&1 ;;
    registry) curl -fsS --max-time 2 "http://$KP_HOST:$KP_REGISTRY_PORT/v2/" >/dev/null 2>&1 ;;
    containerd-*) timeout 3 ctr --address "$(kp_containerd_sock "${name#containerd-}")" version >/dev/null 2>&1 ;;
  esac
}

kp_say "waiting for etcd, NATS, the registry and containerd (up to ${KP_READY_TIMEOUT}s)..."
t0=$EPOCHREALTIME
deadline=$((SECONDS + KP_READY_TIMEOUT))
pending=("${KP_INFRA_COMPONENTS[@]}")
while ((${#pending[@]})); do
  still=()
  for name in "${pending[@]}"; do
    kp_state "$name"
    if [[ $KP_STATE != running ]]; then
      kp_tail_log "$name"
      kp_die "$name exited during startup (see the log above; \`make down\` stops the rest)"
    fi
    kp_ready "$name" || still+=("$name")
  done
  pending=("${still[@]}")
  ((${#pending[@]})) || break
  if ((SECONDS >= deadline)); then
    for name in "${pending[@]}"; do kp_tail_log "$name"; done
    kp_die "not ready after ${KP_READY_TIMEOUT}s: ${pending[*]} (\`make down\` stops what was started)"
  fi
  sleep 0.25
done
kp_say "etcd (${#KP_ETCD_NAMES[@]} members), NATS, registry and ${#KP_NODES[@]} containerds ready after $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')s"

# ---- images: busybox in the registry, the sandbox (pause) image in each containerd ---------
image_tmp=
kp_image_tmp() { [[ -n $image_tmp ]] || image_tmp=$(mktemp -d); }
trap '[[ -z $image_tmp ]] || rm -rf -- "$image_tmp"' EXIT
registry_has() { # REPO TAG
  curl -fs -o /dev/null --max-time 5 -H 'Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' \
    "http://$KP_HOST:$KP_REGISTRY_PORT/v2/$1/manifests/$2"
}
if ! registry_has "${KP_BUSYBOX_IMAGE%:*}" "${KP_BUSYBOX_IMAGE##*:}"; then
  kp_image_tmp
  infra/scripts/build-busybox-image.sh "$image_tmp/busybox" >/dev/null
  skopeo copy --quiet --dest-tls-verify=false "oci:$image_tmp/busybox" "docker://$KP_HOST:$KP_REGISTRY_PORT/$KP_BUSYBOX_IMAGE"
  kp_say "pushed $KP_HOST:$KP_REGISTRY_PORT/$KP_BUSYBOX_IMAGE (pods pull it as docker.io/$KP_BUSYBOX_IMAGE through the mirror)"
fi
for node in "${KP_NODES[@]}"; do
  kp_ctr "$node" images list --quiet 2>/dev/null | grep -qxF "$KP_SANDBOX_IMAGE" && continue
  kp_image_tmp
  if [[ ! -f $image_tmp/pause.tar ]]; then
    infra/scripts/build-busybox-image.sh "$image_tmp/pause" --pause >/dev/null
    tar -C "$image_tmp/pause" -cf "$image_tmp/pause.tar" .
  fi
  kp_ctr "$node" images import --snapshotter overlayfs "$image_tmp/pause.tar" >/dev/null
  kp_say "containerd-$node: imported $KP_SANDBOX_IMAGE"
done

# ---- generated config files (absolute paths under .data; see services.list) -----------------
# Image archives (*.tar, OCI layout or docker-archive) put in .data/airgap-images are imported by
# every kubelet when it starts, as k3s' airgap images directory (kpctl image import does it live).
mkdir -p -- "$KP_DATA_DIR/airgap-images"
for i in "${!KP_NODES[@]}"; do
  node=${KP_NODES[i]}
  cat >"$KP_DATA_DIR/kubelet-$node.yaml" <<YAML
# Written by infra/local/up.sh: the kubelet of $node (flags in camelCase, see services/kubelet/src/config.ts).
nodeName: $node
nodeIp: $KP_HOST
grpcListen: $KP_HOST:${KP_NODE_KUBELET_PORTS[i]}
httpListen: $KP_HOST:${KP_NODE_KUBELET_HTTP_PORTS[i]}
apiserver: $KP_HOST:6443
natsUrl: $KP_NATS_URL
containerRuntimeEndpoint: unix://$(kp_containerd_sock "$node")
tlsCertFile: $(kp_pem "node-$node.crt")
tlsKeyFile: $(kp_pem "node-$node.key")
tlsClientCaFile: $(kp_pem ca.crt)
caFile: $(kp_pem ca.crt)
clientCertFile: $(kp_pem "node-$node.crt")
clientKeyFile: $(kp_pem "node-$node.key")
rootDir: $KP_DATA_DIR/kubelet-$node
podLogDir: $KP_DATA_DIR/pod-logs-$node
imageImportDir: $KP_DATA_DIR/airgap-images
cgroupRoot: /$KP_CGROUP_PARENT/$node
podCidr: ${KP_NODE_CIDRS[i]},${KP_NODE_CIDRS6[i]}
cniConfDir: $(kp_containerd_dir "$node")/net.d
cniDataDir: $KP_DATA_DIR/cni-$node
cniBridge: ${KP_NODE_BRIDGES[i]}
clusterDns: [$KP_DNS_SERVICE_IP]
clusterDomain: cluster.local
YAML
done
# Names outside cluster.local go to the host's resolvers (the dns service runs on the host, so
# even a loopback resolver such as 127.0.0.53 works).
upstreams=$(awk '$1 == "nameserver" && $2 ~ /^[0-9.]+$/ { printf "%s%s:53", sep, $2; sep = "," }' /etc/resolv.conf 2>/dev/null || true)
printf '# Written by infra/local/up.sh from /etc/resolv.conf.\nupstreams: "%s"\n' "$upstreams" >"$KP_DATA_DIR/dns.yaml"
printf '# Written by infra/local/up.sh.\nlocalPathRoot: %s\n' "$KP_DATA_DIR/local-path" >"$KP_DATA_DIR/cloud-controller-manager.yaml"

# ---- secrets encryption key (the apiserver's --encryption-key-file) ---------------------
if [[ ! -s $KP_DATA_DIR/encryption-keys ]]; then
  (umask 077; printf 'local1:%s\n' "$(head -c 32 /dev/urandom | base64 -w0)" > "$KP_DATA_DIR/encryption-keys")
fi

# The listeners a service's flags (or its --config file) name, for the summary and status.sh.
kp_service_address() {
  local a k v out=() cfg=
  for a in "$@"; do
    case $a in
      --grpc-listen=* | --http-listen=* | --dns-listen=*) k=${a%%=*} out+=("${k#--}=${a#*=}") ;;
      --config=*) cfg=${a#*=} ;;
    esac
  done
  if [[ -n $cfg && -f $cfg ]]; then
    while read -r k v; do out+=("$k$v"); done < <(awk '$1 ~ /^(grpcListen|httpListen):$/ { k = $1 == "grpcListen:" ? "grpc-listen=" : "http-listen="; print k, $2 }' "$cfg")
  fi
  if ((${#out[@]})); then printf '%s' "${out[*]}"; else printf -- '-'; fi
}

# ---- kpctl's context: the admin's client certificate, the cluster CA (kubeconfig-shaped file) ----
mkdir -p -- "$(dirname "$KP_KPCTL_CONFIG")"
kpctl_config() { "$KPCTL" config "$@" --config "$KP_KPCTL_CONFIG" >/dev/null; }
kpctl_config set-cluster kubeplane-local --server "$KP_HOST:6443" --rest-server "https://$KP_HOST:6444" --certificate-authority "$(kp_pem ca.crt)" --embed-certs
kpctl_config set-credentials kubeplane-local-admin --client-certificate "$(kp_pem admin.crt)" --client-key "$(kp_pem admin.key)" --embed-certs
kpctl_config set-context kubeplane-local --cluster kubeplane-local --user kubeplane-local-admin
kpctl_config use-context kubeplane-local

# ---- kubectl's kubeconfig: the same admin, the REST API (the apiserver's --rest-listen, docs/rest-api.md) ----
KP_KUBECONFIG=$KP_DATA_DIR/kubeconfig
kubeconfig_set() { "$KPCTL" config "$@" --config "$KP_KUBECONFIG" >/dev/null; }
kubeconfig_set set-cluster kubeplane-local --server "https://$KP_HOST:6444" --certificate-authority "$(kp_pem ca.crt)" --embed-certs
kubeconfig_set set-credentials kubeplane-local-admin --client-certificate "$(kp_pem admin.crt)" --client-key "$(kp_pem admin.key)" --embed-certs
kubeconfig_set set-context kubeplane-local --cluster kubeplane-local --user kubeplane-local-admin
kubeconfig_set use-context kubeplane-local

# ---- cluster objects, applied once the apiserver answers ------------------------------------
kp_cluster_objects() {
  local deadline=$((SECONDS + 60)) n missing=()
  until curl -fsS --max-time 2 --cacert "$(kp_pem ca.crt)" "https://$KP_HOST:6080/readyz" >/dev/null 2>&1; do
    kp_state apiserver
    [[ $KP_STATE == running ]] || { kp_tail_log apiserver; kp_die "apiserver exited during startup"; }
    ((SECONDS < deadline)) || { kp_tail_log apiserver; kp_die "apiserver not ready after 60s"; }
    sleep 0.5
  done
  # Nodes first, before their kubelets register: each Node gets the pod CIDR of its bridge (the
  # kubelet keeps an existing Node's spec) and the taint the cloud-controller-manager removes once
  # it has initialised the Node from infra/local/machines.yaml. Created once, never re-applied.
  for n in "${KP_NODES[@]}"; do
    "$KPCTL" get node "$n" >/dev/null 2>&1 || missing+=("$n")
  done
  if ((${#missing[@]} == ${#KP_NODES[@]})); then
    "$KPCTL" create -f "$KP_LOCAL_DIR/nodes.yaml"
  elif ((${#missing[@]})); then
    kp_warn "Nodes ${missing[*]} are missing but others exist: their kubelets register them (pod CIDR from the cloud-controller-manager)"
  fi
  "$KPCTL" apply -f "$KP_LOCAL_DIR/cluster.yaml"
}

# ---- services (extension point: services.list) -----------------------------------------
export KP_ETCD_ENDPOINTS KP_NATS_URL
declare -A seen=()
listed_services=()
started_services=()
lineno=0
if [[ -f $KP_SERVICES_LIST ]]; then
  while IFS= read -r line || [[ -n $line ]]; do
    lineno=$((lineno + 1))
    read -r -a words <<<"$line" || true
    ((${#words[@]})) || continue
    [[ ${words[0]} == \#* ]] && continue
    where="$(kp_rel "$KP_SERVICES_LIST"):$lineno"
    name=${words[0]}
    argv=("${words[@]:1}")
    [[ $name =~ ^[a-z0-9][a-z0-9._-]*$ ]] || kp_die "$where: invalid service name '$name' (use [a-z0-9._-])"
    ! kp_is_infra "$name" || kp_die "$where: service name '$name' is reserved (etcd-*, nats)"
    [[ -z ${seen[$name]:-} ]] || kp_die "$where: service '$name' is listed twice"
    seen[$name]=1
    listed_services+=("$name")
    ((${#argv[@]})) || kp_die "$where: service '$name' has no command"
    if ! kp_needs_start "$name"; then
      cmp -s <(printf '%s\0' "${argv[@]}") "$(kp_cmdfile "$name")" ||
        kp_warn "$name: its command in services.list changed; run \`make down && make up\` to apply it"
      [[ $name != apiserver ]] || kp_cluster_objects
      continue
    fi
    if [[ ${argv[0]} == */* ]]; then
      [[ -x ${argv[0]} ]] || kp_die "$where: ${argv[0]} is not an executable file (paths are relative to the repository root)"
    else
      command -v "${argv[0]}" >/dev/null || kp_die "$where: command '${argv[0]}' not found on PATH"
    fi
    KP_SERVICE_NAME=$name kp_spawn "$name" "$(kp_service_address "${argv[@]}")" "${argv[@]}"
    started_services+=("$name")
    [[ $name != apiserver ]] || kp_cluster_objects
  done <"$KP_SERVICES_LIST"
fi
if ((${#started_services[@]})); then
  sleep 1 # services have no common readiness probe yet: at least check they did not exit at once
  for name in "${started_services[@]}"; do
    kp_state "$name"
    if [[ $KP_STATE != running ]]; then
      kp_tail_log "$name"
      kp_die "service $name exited right after starting (\`make down\` stops the rest)"
    fi
  done
fi

# ---- every node Ready (and initialised by the cloud-controller-manager) before returning ---------
# KP_NODES_READY_TIMEOUT (default 90 s) bounds the wait; progress every 5 s names the nodes still pending.
kp_wait_nodes_ready() {
  local timeout=${KP_NODES_READY_TIMEOUT:-90} deadline t0=$SECONDS last=-5 out name ready taints pending
  local query='{range .items[*]}{.metadata.name}{"\t"}{.status.conditions[?(@.type=="Ready")].status}{"\t"}{.spec.taints[*].key}{"\n"}{end}'
  deadline=$((SECONDS + timeout))
  kp_say "waiting for nodes ${KP_NODES[*]} to be Ready (up to ${timeout}s)..."
  while :; do
    out=$("$KPCTL" get nodes -o "jsonpath=$query" 2>/dev/null || true)
    pending=()
    for name in "${KP_NODES[@]}"; do
      ready=$(awk -F'\t' -v n="$name" '$1 == n { print $2 }' <<<"$out")
      taints=$(awk -F'\t' -v n="$name" '$1 == n { print $3 }' <<<"$out")
      if [[ $ready != True ]]; then pending+=("$name(${ready:-not registered})")
      elif [[ $taints == *node.cloudprovider.kubernetes.io/uninitialized* ]]; then pending+=("$name(uninitialized)")
      fi
    done
    ((${#pending[@]})) || break
    if ((SECONDS >= deadline)); then
      for name in "${KP_NODES[@]}"; do kp_tail_log "kubelet-$name"; done
      kp_die "nodes not Ready after ${timeout}s: ${pending[*]} (see the kubelet logs above; \`make down\` stops what was started)"
    fi
    if ((SECONDS - last >= 5)); then kp_say "  still waiting ($((SECONDS - t0))s): ${pending[*]}"; last=$SECONDS; fi
    sleep 1
  done
  kp_say "nodes ${KP_NODES[*]} Ready after $((SECONDS - t0))s"
}
kp_wait_nodes_ready

# Prometheus scrapes the services over https with its own client certificate; etcd's metrics
# listener is plain http on loopback (its client port takes only etcd-CA certificates).
export KP_PROMETHEUS_CA_FILE=$KP_PKI_DIR/ca.crt KP_PROMETHEUS_CERT_FILE=$KP_PKI_DIR/prometheus.crt KP_PROMETHEUS_KEY_FILE=$KP_PKI_DIR/prometheus.key
export KP_PROMETHEUS_PLAIN_JOBS=${KP_PROMETHEUS_PLAIN_JOBS:-etcd}
kp_prometheus_start # scrapes etcd and every service started above (infra/local/prometheus.sh)

# ---- summary ---------------------------------------------------------------------------
{
  printf 'COMPONENT\tADDRESS\tPID\tLOG\n'
  for name in "${KP_INFRA_COMPONENTS[@]}" "${listed_services[@]}"; do
    kp_state "$name"
    printf '%s\t%s\t%s\t%s\n' "$name" "$(kp_address "$name")" "${KP_PID:--}" "$(kp_rel "$(kp_logfile "$name")")"
  done
} | kp_table
cat <<DONE

Environment for clients and services:
  export KP_ETCD_ENDPOINTS=$KP_ETCD_ENDPOINTS
  export KP_NATS_URL=$KP_NATS_URL
  export KUBECONFIG=$KP_KUBECONFIG   # kubectl (the REST API on https://$KP_HOST:6444)
Nodes ${KP_NODES[*]}: pods on bridges ${KP_NODE_BRIDGES[*]} (${KP_NODE_CIDRS[*]}), Services $KP_SERVICE_CIDR, DNS $KP_DNS_SERVICE_IP
Try:            services/kpctl/bin/kpctl get nodes; services/kpctl/bin/kpctl apply -f infra/examples/busybox-web.yaml
Tail the logs:  tail -F $(kp_rel "$KP_LOG_DIR")/*.log
Status:         infra/local/status.sh
Stop:           make down   (keeps data; infra/local/down.sh --purge also deletes $(kp_rel "$KP_DATA_DIR"))
DONE
