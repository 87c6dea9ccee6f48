#!/usr/bin/env bash
# Builds an OCI image layout from Debian's busybox-static: the `busybox` image, or with --pause the sandbox (pause) image.
#
# Usage: build-busybox-image.sh OUT_DIR [--name NAME] [--pause]
#   OUT_DIR  becomes an OCI image layout (oci-layout, index.json, blobs/sha256/…), replaced if present
#   --name   the reference recorded in index.json (default docker.io/library/busybox:1.36, or
#            docker.io/kubeplane/pause:3.9 with --pause); `ctr images import` and skopeo use it
#   --pause  entrypoint is a shell loop that sleeps until SIGTERM/SIGINT and then exits 0, like
#            Kubernetes' pause: the process that holds a pod sandbox's namespaces
#
# No Docker needed: one layer (every busybox applet as a symlink in /bin, /etc/passwd, /tmp) is
# packed by hand: tar → diff_id, gzip → blob, config, manifest, index.json. The build is
# reproducible (sorted entries, fixed mtimes and owners, gzip -n), and both images share the
# layer, so a registry stores it once.
set -euo pipefail

usage() { echo "usage: $0 OUT_DIR [--name NAME] [--pause]" >&2; exit 2; }
[[ $# -ge 1 ]] || usage
out=$1; shift
name=""; pause=false
while [[ $# -gt 0 ]]; do
  case $1 in
    --name) [[ $# -ge 2 ]] || usage; name=$2; shift 2 ;;
    --pause) pause=true; shift ;;
    *) usage ;;
  esac
done
if [[ -z $name ]]; then
  if $pause; then name=docker.io/kubeplane/pause:3.9; else name=docker.io/library/busybox:1.36; fi
fi
BUSYBOX=${BUSYBOX:-/bin/busybox}
[[ -x $BUSYBOX ]] || { echo "$BUSYBOX not found: install Debian's busybox-static" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
mkdir -p "$root"/{bin,etc,root,tmp,var/www,home,dev,proc,sys}
chmod 1777 "$root/tmp"
cp "$BUSYBOX" "$root/bin/busybox"
for applet in $("$BUSYBOX" --list); do
  [[ $applet == busybox ]] || ln -s busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=posix \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  -C "$root" -cf "$work/layer.tar" .
sha() { sha256sum "$1" | cut -d' ' -f1; }
diff_id=$(sha "$work/layer.tar")
gzip -n -9 -c "$work/layer.tar" >"$work/layer.tar.gz"

rm -rf "$out"
mkdir -p "$out/blobs/sha256"
put_blob() { # $1: file; prints "<digest> <size>"
  local digest size
  digest=$(sha "$1"); size=$(stat -c %s "$1")
  cp "$1" "$out/blobs/sha256/$digest"
  echo "$digest $size"
}
read -r layer_digest layer_size < <(put_blob "$work/layer.tar.gz")

arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
path_env='"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"'
if $pause; then
  process_config='"Entrypoint":["/bin/sh","-c","trap \"exit 0\" TERM INT; while :; do sleep 2147483647 & wait; done"]'
else
  process_config='"Cmd":["sh"]'
fi
printf '{"architecture":"%s","os":"linux","created":"1970-01-01T00:00:00Z","config":{"Env":[%s],%s},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"1970-01-01T00:00:00Z","created_by":"infra/scripts/build-busybox-image.sh"}]}' \
  "$arch" "$path_env" "$process_config" "$diff_id" >"$work/config.json"
read -r config_digest config_size < <(put_blob "$work/config.json")

printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
  "$config_digest" "$config_size" "$layer_digest" "$layer_size" >"$work/manifest.json"
read -r manifest_digest manifest_size < <(put_blob "$work/manifest.json")

# io.containerd.image.name is what `ctr images import` names the image; ref.name is the tag skopeo's oci: transport reads.
tag=${name##*:}
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"%s","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
  "$manifest_digest" "$manifest_size" "$arch" "$name" "$tag" >"$out/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' >"$out/oci-layout"
echo "sha256:$manifest_digest"
