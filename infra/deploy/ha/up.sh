#!/usr/bin/env bash
# make up-ha: five machines (3 control-plane, 2 workers) simulated as network namespaces on one bridge, deployed from the rendered kubeplane chart.
set -euo pipefail
# shellcheck source=infra/deploy/ha/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$KP_HA_ROOT"
[[ $(id -u) == 0 ]] || kp_ha_die "make up-ha needs root (network namespaces, bridges, containers)"
for cmd in ip nft jq etcd nats-server containerd ctr runc docker-registry skopeo curl setsid; do
  command -v "$cmd" >/dev/null || kp_ha_die "'$cmd' is not on PATH (make deps installs it)"
done
if ip -4 -o addr show | grep -v " $KP_HA_BRIDGE " | grep -q " $KP_HA_NET\."; then
  kp_ha_die "$KP_HA_NET.0/24 is already used on this host (outside $KP_HA_BRIDGE)"
fi
if ip -6 -o addr show | grep -v " $KP_HA_BRIDGE " | grep -q " $KP_HA_NET6::"; then
  kp_ha_die "$KP_HA_NET6::/64 is already used on this host (outside $KP_HA_BRIDGE)"
fi
mkdir -p -- "$KP_HA_DIR"
t0=$SECONDS

# ---- machines: network namespaces on one bridge ------------------------------------------
specs=()
for i in "${!KP_HA_MACHINES[@]}"; do specs+=("${KP_HA_MACHINES[i]}=${KP_HA_ADDRESSES[i]},${KP_HA_ADDRESSES6[i]}"); done
infra/deploy/ha/netns.sh up "$KP_HA_BRIDGE" "$KP_HA_GATEWAY/24,$KP_HA_GATEWAY6/64" "${specs[@]}"
for i in "${!KP_HA_MACHINES[@]}"; do
  [[ ${KP_HA_ROLES[i]} == worker ]] || continue
  ns=$(kp_ha_ns "${KP_HA_MACHINES[i]}")
  # pods reach the other worker's pods through this one, over IPv4 and IPv6
  ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
done
kp_ha_say "machines: ${specs[*]} on bridge $KP_HA_BRIDGE ($KP_HA_GATEWAY/24, $KP_HA_GATEWAY6/64)"

# ---- an image registry on the bridge (the site's registry; workers pull through it) -------
reg_pid=$KP_HA_DIR/registry.pid
if ! { [[ -s $reg_pid ]] && kill -0 "$(<"$reg_pid")" 2>/dev/null; }; then
  mkdir -p -- "$KP_HA_DIR/registry"
  printf 'version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n' \
    "$KP_HA_DIR/registry" "$KP_HA_REGISTRY" >"$KP_HA_DIR/registry.yml"
  setsid -f bash -c 'echo $$ >"$1"; exec docker-registry serve "$2"' _ "$reg_pid" "$KP_HA_DIR/registry.yml" </dev/null >>"$KP_HA_DIR/registry.log" 2>&1
  for _ in $(seq 50); do curl -fs "http://$KP_HA_REGISTRY/v2/" >/dev/null && break; sleep 0.1; done
fi
tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT
if ! curl -fs -o /dev/null -H 'Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json' \
  "http://$KP_HA_REGISTRY/v2/${KP_HA_BUSYBOX_IMAGE%:*}/manifests/${KP_HA_BUSYBOX_IMAGE##*:}"; then
  infra/scripts/build-busybox-image.sh "$tmp/busybox" >/dev/null
  skopeo copy --quiet --dest-tls-verify=false "oci:$tmp/busybox" "docker://$KP_HA_REGISTRY/$KP_HA_BUSYBOX_IMAGE"
fi
kp_ha_say "registry http://$KP_HA_REGISTRY ($KP_HA_BUSYBOX_IMAGE)"

# ---- render the chart: one bundle per machine, certificates from .local/ha/pki ------------
# Workers join with a bootstrap token (kubeadm-style): chosen here, kept across runs, created in the
# cluster once the control plane answers; their kubelets get their certificates from CSRs.
token_file=$KP_HA_DIR/join-token
if [[ ! -s $token_file ]]; then
  (umask 077; printf '%s.%s\n' "$(openssl rand -hex 3)" "$(openssl rand -hex 8)" >"$token_file")
fi
join_token=$(<"$token_file")
{
  printf '# Written by infra/deploy/ha/up.sh: the simulated machines.\nmachines:\n'
  for i in "${!KP_HA_MACHINES[@]}"; do
    printf '  - { name: %s, address: %s, addressIpv6: "%s", role: %s, root: %s%s }\n' "${KP_HA_MACHINES[i]}" "${KP_HA_ADDRESSES[i]}" "${KP_HA_ADDRESSES6[i]}" "${KP_HA_ROLES[i]}" \
      "$KP_HA_DIR/machines/${KP_HA_MACHINES[i]}" "${KP_HA_POD_CIDRS[i]:+, podCidr: ${KP_HA_POD_CIDRS[i]}}${KP_HA_POD_CIDRS6[i]:+, podCidrIpv6: \"${KP_HA_POD_CIDRS6[i]}\"}"
  done
  printf 'install:\n  kubeplaneDir: %s\n  registryMirror: "%s"\n  sandboxImage: %s\n' "$KP_HA_ROOT" "$KP_HA_REGISTRY" "$KP_HA_SANDBOX_IMAGE"
  printf 'addons:\n  prometheus: %s\n' "$(command -v prometheus >/dev/null && echo true || echo false)"
  printf 'join:\n  token: %s\n' "$join_token"
} >"$KP_HA_DIR/values.yaml"
chmod 600 "$KP_HA_DIR/values.yaml"
infra/deploy/render.sh --pki-dir "$KP_HA_DIR/pki" --out "$KP_HA_DIR/bundles" -f "$KP_HA_DIR/values.yaml" ${KP_HA_VALUES:+-f "$KP_HA_VALUES"} |
  sed 's/^/[kubeplane-ha] render: /'

# ---- install and start the control plane -------------------------------------------------
install_machine() {
  # nsenter --net, not `ip netns exec`: that also remounts /sys in a new mount namespace, hiding the
  # cgroup mounts runc needs.
  nsenter --net="/run/netns/$(kp_ha_ns "$1")" infra/deploy/install.sh --runner "$KP_HA_DIR/bundles/$1" | sed 's/^/[kubeplane-ha] /'
}
for i in "${!KP_HA_MACHINES[@]}"; do
  [[ ${KP_HA_ROLES[i]} == control-plane ]] || continue
  install_machine "${KP_HA_MACHINES[i]}"
done

# ---- readiness: etcd, NATS routes, apiservers; the join token; then the workers ------------
KPCTL=(services/kpctl/bin/kpctl --config "$KP_HA_KPCTL_CONFIG")
servers=
for i in "${!KP_HA_MACHINES[@]}"; do
  [[ ${KP_HA_ROLES[i]} != control-plane ]] || servers+=${servers:+,}${KP_HA_ADDRESSES[i]}:6443
done
"${KPCTL[@]}" config set-cluster "$KP_HA_CONTEXT" --server "$servers" --certificate-authority "$KP_HA_DIR/pki/ca.crt" --embed-certs >/dev/null
"${KPCTL[@]}" config set-credentials "$KP_HA_CONTEXT-admin" --client-certificate "$KP_HA_DIR/pki/admin.crt" --client-key "$KP_HA_DIR/pki/admin.key" --embed-certs >/dev/null
"${KPCTL[@]}" config set-context "$KP_HA_CONTEXT" --cluster "$KP_HA_CONTEXT" --user "$KP_HA_CONTEXT-admin" >/dev/null
"${KPCTL[@]}" config use-context "$KP_HA_CONTEXT" >/dev/null
export KUBEPLANE_CONFIG=$KP_HA_KPCTL_CONFIG
infra/deploy/health.sh --wait 120 "$KP_HA_DIR"/bundles/cp-* | sed 's/^/[kubeplane-ha] /'
if ! out=$("${KPCTL[@]}" token create "$join_token" --ttl 24h --description "make up-ha workers" 2>&1); then
  grep -qi 'already exists' <<<"$out" || kp_ha_die "kpctl token create: $out"
fi
kp_ha_say "join token ${join_token%%.*}.<secret> (kpctl token list); workers bootstrap their certificates with it"
for i in "${!KP_HA_MACHINES[@]}"; do
  [[ ${KP_HA_ROLES[i]} == worker ]] || continue
  install_machine "${KP_HA_MACHINES[i]}"
done
for i in "${!KP_HA_MACHINES[@]}"; do
  [[ ${KP_HA_ROLES[i]} == worker ]] || continue
  m=${KP_HA_MACHINES[i]} sock=$KP_HA_DIR/machines/${KP_HA_MACHINES[i]}/var/lib/kubeplane/containerd/containerd.sock
  for _ in $(seq 100); do timeout 3 ctr --address "$sock" version >/dev/null 2>&1 && break; sleep 0.2; done
  if ! ctr --address "$sock" -n k8s.io images list --quiet 2>/dev/null | grep -qxF "$KP_HA_SANDBOX_IMAGE"; then
    [[ -f $tmp/pause.tar ]] || { infra/scripts/build-busybox-image.sh "$tmp/pause" --pause >/dev/null; tar -C "$tmp/pause" -cf "$tmp/pause.tar" .; }
    ctr --address "$sock" -n k8s.io images import --snapshotter overlayfs "$tmp/pause.tar" >/dev/null
  fi
done
infra/deploy/health.sh --wait 120 "$KP_HA_DIR"/bundles/worker-* | sed 's/^/[kubeplane-ha] /'
# The "network" between machines: each worker routes every other worker's pod CIDRs (those its Node
# was given, one per family) via that worker's address of the same family, as a bare-metal router or
# the route controller would (the kernel takes no IPv4 next hop for an IPv6 route).
for i in "${!KP_HA_MACHINES[@]}"; do
  [[ ${KP_HA_ROLES[i]} == worker ]] || continue
  cidrs=$("${KPCTL[@]}" get node "${KP_HA_MACHINES[i]}" -o json | jq -r '(.spec.podCIDRs // [.spec.podCIDR // empty]) | join(" ")')
  [[ -n $cidrs ]] || kp_ha_die "node ${KP_HA_MACHINES[i]} has no pod CIDR"
  for cidr in $cidrs; do
    if [[ $cidr == *:* ]]; then family=-6 via=${KP_HA_ADDRESSES6[i]}; else family=-4 via=${KP_HA_ADDRESSES[i]}; fi
    for j in "${!KP_HA_MACHINES[@]}"; do
      [[ ${KP_HA_ROLES[j]} == worker && $j != "$i" ]] || continue
      ip -n "$(kp_ha_ns "${KP_HA_MACHINES[j]}")" "$family" route replace "$cidr" via "$via"
    done
  done
  kp_ha_say "pods of ${KP_HA_MACHINES[i]}: ${cidrs// /, } (routed from the other workers)"
done

# ---- summary ------------------------------------------------------------------------------
{
  printf 'MACHINE\tROLE\tADDRESS\tNETNS\tUNITS\n'
  for i in "${!KP_HA_MACHINES[@]}"; do
    m=${KP_HA_MACHINES[i]}
    printf '%s\t%s\t%s\t%s\t%s\n' "$m" "${KP_HA_ROLES[i]}" "${KP_HA_ADDRESSES[i]},${KP_HA_ADDRESSES6[i]}" "$(kp_ha_ns "$m")" \
      "$(jq -r '[.units[] | "\(.name)=\(.state)"] | join(" ")' "$KP_HA_DIR/machines/$m/var/lib/kubeplane/unit-runner.json")"
  done
} | column -t -s $'\t'
cat <<DONE

Up after $((SECONDS - t0))s. kpctl context $KP_HA_CONTEXT (apiservers $servers):
  export KUBEPLANE_CONFIG=${KP_HA_KPCTL_CONFIG#"$KP_HA_ROOT/"}
  services/kpctl/bin/kpctl get nodes
Machines' files and logs: ${KP_HA_DIR#"$KP_HA_ROOT/"}/machines/<machine>/ (logs in var/log/kubeplane/), bundles in ${KP_HA_DIR#"$KP_HA_ROOT/"}/bundles/
A shell on a machine:     nsenter --net=/run/netns/$(kp_ha_ns worker-1) bash
Prometheus:               http://${KP_HA_ADDRESSES[0]}:9090 (if installed)
Rolling upgrade:          infra/deploy/rolling-upgrade.sh --kpctl-config ${KP_HA_KPCTL_CONFIG#"$KP_HA_ROOT/"} --pki-dir ${KP_HA_DIR#"$KP_HA_ROOT/"}/pki --out ${KP_HA_DIR#"$KP_HA_ROOT/"}/bundles -f ${KP_HA_DIR#"$KP_HA_ROOT/"}/values.yaml --netns-prefix $KP_HA_BRIDGE-
Stop and clean up:        make down-ha
DONE
