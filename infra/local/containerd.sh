# shellcheck shell=bash
# The per-node containerd and the host network of the local cluster: config rendering (up.sh) and
# clean-up (down.sh). Sourced after lib.sh, never executed.
#
# Each node's containerd keeps everything under infra/local/.data/containerd-<node>/ (root, state,
# socket, the opt plugin, CNI conf, registry hosts), as libs/testing's test containerd does; only the
# shims' sockets and runc's state are in /run/containerd (containerd 1.6 hard-codes them), and
# those are found by our socket path / bundle dir, never by name.

KP_RUNC_ROOT=/run/containerd/runc/k8s.io

# kp_write_containerd_config NODE: config.toml and registry hosts (docker.io and 127.0.0.1:PORT served
# by the local registry over plain HTTP). The node's kubelet writes the CNI conflist into net.d
# (--cni-conf-dir, with its own bridge and pod CIDR).
kp_write_containerd_config() {
  local node=$1 dir reg host
  dir=$(kp_containerd_dir "$node")
  mkdir -p -- "$dir"/{root,state,opt,net.d} "$KP_DATA_DIR/cni-$node"
  reg=$KP_HOST:$KP_REGISTRY_PORT
  for host in docker.io "$reg"; do
    mkdir -p -- "$dir/certs.d/$host"
    printf 'server = "http://%s"\n\n[host."http://%s"]\n  capabilities = ["pull", "resolve"]\n  skip_verify = true\n' \
      "$reg" "$reg" >"$dir/certs.d/$host/hosts.toml"
  done
  cat >"$dir/config.toml" <<TOML
# Written by infra/local/up.sh for $node: every path is under $(kp_rel "$dir").
version = 2
root = "$dir/root"
state = "$dir/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "$dir/containerd.sock"

[ttrpc]
  address = "$dir/containerd.sock.ttrpc"

# Without this the opt plugin creates /opt/containerd.
[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$KP_SANDBOX_IMAGE"
  # Sandbox netns bind mounts under the state dir, not /var/run/netns.
  netns_mounts_under_state_dir = true
  # root may lack CAP_SYS_RESOURCE (runc then cannot set the sandbox's oom_score_adj -998).
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"

[plugins."io.containerd.grpc.v1.cri".containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  SystemdCgroup = false

[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "$KP_CNI_BIN_DIR"
  conf_dir = "$dir/net.d"
  max_conf_num = 1

[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = "$dir/certs.d"
TOML
}

# kp_containerd_clear NODE: remove every task and container (pods) of NODE's containerd while it runs.
kp_containerd_clear() {
  local node=$1 id n=0
  while read -r id; do
    [[ -n $id ]] || continue
    kp_ctr "$node" tasks kill --signal SIGKILL "$id" >/dev/null 2>&1 || true
    kp_ctr "$node" tasks delete --force "$id" >/dev/null 2>&1 || true
    kp_ctr "$node" containers delete "$id" >/dev/null 2>&1 || true
    n=$((n + 1))
  done < <(kp_ctr "$node" containers list --quiet 2>/dev/null || true)
  ((n == 0)) || kp_say "containerd-$node: removed $n containers"
}

# kp_containerd_sweep NODE: after NODE's containerd is gone, whatever it left: runc containers whose
# bundle is under its dir, shims serving its socket, and the IPAM records of its (now gone) pods.
kp_containerd_sweep() {
  local node=$1 dir sock id bundle pid argv=() j
  dir=$(kp_containerd_dir "$node")
  sock=$(kp_containerd_sock "$node")
  if [[ -d $KP_RUNC_ROOT ]] && command -v runc >/dev/null; then
    while read -r id bundle; do
      [[ $bundle == "$dir/"* ]] || continue
      runc --root "$KP_RUNC_ROOT" delete --force "$id" >/dev/null 2>&1 && kp_say "containerd-$node: deleted leftover runc container $id"
    done < <(runc --root "$KP_RUNC_ROOT" list --format json 2>/dev/null |
      node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const c of JSON.parse(s||"null")??[])console.log(c.id,c.bundle)})' 2>/dev/null || true)
  fi
  for pid in /proc/[0-9]*; do
    pid=${pid#/proc/}
    mapfile -d '' -t argv 2>/dev/null <"/proc/$pid/cmdline" || continue
    [[ ${argv[0]:-} == *containerd-shim-runc-v2 ]] || continue
    for ((j = 1; j < ${#argv[@]} - 1; j++)); do
      if [[ ${argv[j]} == -address && ${argv[j + 1]} == "$sock" ]]; then
        kill -KILL "$pid" 2>/dev/null && kp_say "containerd-$node: killed leftover shim $pid"
        break
      fi
    done
  done
  rm -rf -- "$KP_DATA_DIR/cni-$node" # host-local IPAM: every pod of this node is gone
}

# Mount points under DIR, deepest first (DIR has no characters mountinfo escapes).
kp_mounts_under() {
  awk -v d="$1/" 'index($5, d) == 1 { print length($5) "\t" $5 }' /proc/self/mountinfo | sort -rn | cut -f2-
}
kp_unmount_under() {
  local m n=0
  while IFS= read -r m; do
    umount -- "$m" 2>/dev/null || umount -l -- "$m" 2>/dev/null || kp_warn "could not unmount $m"
    n=$((n + 1))
  done < <(kp_mounts_under "$1")
  ((n == 0)) || kp_say "unmounted $n leftover mounts under $(kp_rel "$1")"
}

# Pod cgroups of every node: /sys/fs/cgroup/<hierarchy>/kubeplane-local (empty once pods are gone).
kp_remove_pod_cgroups() {
  local d left=0
  for d in /sys/fs/cgroup/"$KP_CGROUP_PARENT" /sys/fs/cgroup/*/"$KP_CGROUP_PARENT"; do
    [[ -d $d ]] || continue
    find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
    [[ -d $d ]] && left=1
  done
  ((left == 0)) || kp_warn "some cgroups under /sys/fs/cgroup/*/$KP_CGROUP_PARENT are still in use"
}

# ---- host network --------------------------------------------------------------------------
# Bridges kp-n1/kp-n2 with the pods' gateways, routes for the Service CIDR and LB pool (the host
# reaching a ClusterIP needs a route before kube-proxy's DNAT), IP forwarding between the bridges.
kp_net_up() {
  local i br
  for i in "${!KP_NODES[@]}"; do
    br=${KP_NODE_BRIDGES[i]}
    ip link show dev "$br" >/dev/null 2>&1 || ip link add "$br" type bridge
    ip addr replace "${KP_NODE_GATEWAYS[i]}/${KP_NODE_CIDRS[i]#*/}" dev "$br"
    # nodad: the gateway is usable at once (nothing else on a fresh bridge can hold the address).
    ip -6 addr replace "${KP_NODE_GATEWAYS6[i]}/${KP_NODE_CIDRS6[i]#*/}" dev "$br" nodad
    ip link set "$br" up
  done
  ip route replace "$KP_SERVICE_CIDR" dev "${KP_NODE_BRIDGES[0]}" src "${KP_NODE_GATEWAYS[0]}"
  ip -6 route replace "$KP_SERVICE_CIDR6" dev "${KP_NODE_BRIDGES[0]}" src "${KP_NODE_GATEWAYS6[0]}"
  ip route replace "$KP_LB_POOL" dev "${KP_NODE_BRIDGES[0]}" src "${KP_NODE_GATEWAYS[0]}"
  # Forwarding between the bridges needs net.ipv4.ip_forward. If it was off, turn it on but let
  # our table drop forwarded traffic that touches none of our bridges (the host must not start
  # routing for others), and remember to turn it off again in down.sh.
  if [[ $(</proc/sys/net/ipv4/ip_forward) == 0 ]]; then
    echo 1 >/proc/sys/net/ipv4/ip_forward
    : >"$KP_RUN_DIR/ip_forward.set-by-up"
  fi
  if [[ -e $KP_RUN_DIR/ip_forward.set-by-up ]]; then
    nft -f - <<NFT
table ip $KP_NFT_TABLE
delete table ip $KP_NFT_TABLE
table ip $KP_NFT_TABLE {
  chain forward {
    type filter hook forward priority 0; policy accept;
    iifname != "kp-n*" oifname != "kp-n*" drop
  }
}
NFT
  fi
  # The same for IPv6 (pods reaching IPv6 ClusterIPs and each other across bridges).
  if [[ $(</proc/sys/net/ipv6/conf/all/forwarding) == 0 ]]; then
    echo 1 >/proc/sys/net/ipv6/conf/all/forwarding
    : >"$KP_RUN_DIR/ipv6_forwarding.set-by-up"
  fi
  if [[ -e $KP_RUN_DIR/ipv6_forwarding.set-by-up ]]; then
    nft -f - <<NFT
table ip6 $KP_NFT_TABLE
delete table ip6 $KP_NFT_TABLE
table ip6 $KP_NFT_TABLE {
  chain forward {
    type filter hook forward priority 0; policy accept;
    iifname != "kp-n*" oifname != "kp-n*" drop
  }
}
NFT
  fi
}

kp_net_down() {
  local br
  nft list table ip kube-proxy >/dev/null 2>&1 && nft delete table ip kube-proxy && kp_say "deleted nft table ip kube-proxy"
  nft list table inet kubeplane-netpol >/dev/null 2>&1 && nft delete table inet kubeplane-netpol && kp_say "deleted nft table inet kubeplane-netpol"
  nft list table ip "$KP_NFT_TABLE" >/dev/null 2>&1 && nft delete table ip "$KP_NFT_TABLE" && kp_say "deleted nft table ip $KP_NFT_TABLE"
  if [[ -e $KP_RUN_DIR/ip_forward.set-by-up ]]; then
    echo 0 >/proc/sys/net/ipv4/ip_forward
    rm -f -- "$KP_RUN_DIR/ip_forward.set-by-up"
    kp_say "net.ipv4.ip_forward back to 0"
  fi
  nft list table ip6 kube-proxy >/dev/null 2>&1 && nft delete table ip6 kube-proxy && kp_say "deleted nft table ip6 kube-proxy"
  nft list table ip6 "$KP_NFT_TABLE" >/dev/null 2>&1 && nft delete table ip6 "$KP_NFT_TABLE" && kp_say "deleted nft table ip6 $KP_NFT_TABLE"
  if [[ -e $KP_RUN_DIR/ipv6_forwarding.set-by-up ]]; then
    echo 0 >/proc/sys/net/ipv6/conf/all/forwarding
    rm -f -- "$KP_RUN_DIR/ipv6_forwarding.set-by-up"
    kp_say "net.ipv6.conf.all.forwarding back to 0"
  fi
  for br in "${KP_NODE_BRIDGES[@]}"; do
    ip link show dev "$br" >/dev/null 2>&1 || continue
    # veths of pods still attached (pods whose netns is gone lose them automatically)
    { ip -o link show master "$br" 2>/dev/null || true; } | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | while read -r v; do
      ip link delete "$v" 2>/dev/null || true
    done
    ip link delete "$br" && kp_say "deleted bridge $br"
  done
  return 0 # the routes via the bridges went with them
}
