# Shared settings of make up-ha / make down-ha: the simulated machines, their bridge and addresses, where their files live.
# shellcheck shell=bash
KP_HA_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
KP_HA_DIR=$KP_HA_ROOT/.local/ha                 # machines' roots, bundles, the PKI, logs (git-ignored)
KP_HA_BRIDGE=kp-nha                              # kp-n*: see netns.sh
KP_HA_NET=10.77.0                                # a private /24 that exists only on this bridge
KP_HA_GATEWAY=$KP_HA_NET.1                       # this host's address on it (kpctl, the image registry)
KP_HA_MACHINES=(cp-1 cp-2 cp-3 worker-1 worker-2)
KP_HA_ADDRESSES=("$KP_HA_NET.11" "$KP_HA_NET.12" "$KP_HA_NET.13" "$KP_HA_NET.21" "$KP_HA_NET.22")
KP_HA_NET6=fd00:10:77                            # dual stack: a unique local /64 on the same bridge (fd00:10:77::/64)
KP_HA_GATEWAY6=$KP_HA_NET6::1
KP_HA_ADDRESSES6=("$KP_HA_NET6::11" "$KP_HA_NET6::12" "$KP_HA_NET6::13" "$KP_HA_NET6::21" "$KP_HA_NET6::22")
KP_HA_ROLES=(control-plane control-plane control-plane worker worker)
KP_HA_POD_CIDRS=("" "" "" 10.244.1.0/24 10.244.2.0/24)
KP_HA_POD_CIDRS6=("" "" "" fd00:10:244:1::/64 fd00:10:244:2::/64) # inside the chart's cluster.podCidrIpv6
KP_HA_REGISTRY=$KP_HA_GATEWAY:5000
KP_HA_KPCTL_CONFIG=$KP_HA_DIR/kpctl.config
KP_HA_CONTEXT=kubeplane-ha
KP_HA_SANDBOX_IMAGE=docker.io/kubeplane/pause:3.9
KP_HA_BUSYBOX_IMAGE=library/busybox:1.36

kp_ha_say() { printf '[kubeplane-ha] %s\n' "$*"; }
kp_ha_die() { printf '[kubeplane-ha] error: %s\n' "$*" >&2; exit 1; }
kp_ha_ns() { printf '%s-%s' "$KP_HA_BRIDGE" "$1"; }
kp_ha_machine_json() { printf '%s/machines/%s/etc/kubeplane/machine.json' "$KP_HA_DIR" "$1"; }
