#!/usr/bin/env bash
# Installs one machine's bundle (from infra/deploy/render.sh) on the machine it is for, then starts its units: systemd when it is PID 1, else the unit runner.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
  cat <<USAGE
usage: infra/deploy/install.sh [--no-start] [--runner] BUNDLE_DIR
Copies BUNDLE_DIR/files/ onto this machine (every path lies under the machine's root from
machine.json), removes kp-*.service units the bundle no longer has, installs machine.json beside the
PKI, then starts the units in order:
  - systemd is PID 1 (and root is /): systemctl daemon-reload, enable and restart each unit;
  - otherwise (or --runner): stops a runner already running for the machine, and starts
    infra/deploy/run-units.sh detached (pid in stateDir/unit-runner.pid, log in logDir/unit-runner.log).
Run it as root on the machine (over ssh: scp -r BUNDLE_DIR machine: && ssh machine infra/deploy/install.sh …).
USAGE
}
start=1 runner=0
while (($#)); do
  case $1 in
    --no-start) start=0; shift ;;
    --runner) runner=1; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) usage >&2; exit 2 ;;
    *) break ;;
  esac
done
(($# == 1)) || { usage >&2; exit 2; }
bundle=$(cd "$1" && pwd)
[[ -f $bundle/machine.json && -d $bundle/files ]] || { echo "install.sh: $bundle is not a bundle (machine.json, files/)" >&2; exit 1; }
command -v jq >/dev/null || { echo "install.sh: needs jq" >&2; exit 1; }

field() { jq -r "$1" "$bundle/machine.json"; }
name=$(field .name) mroot=$(field .root) unit_dir=$(field .unitDir) state_dir=$(field .stateDir) log_dir=$(field .logDir) pki_dir=$(field .pkiDir)
mapfile -t units < <(field '.units[]')
say() { printf '[install %s] %s\n' "$name" "$*"; }

# Every file must land under the machine's root: a bundle never writes elsewhere.
prefix=${mroot%/}/
while IFS= read -r -d '' f; do
  path=/${f#"$bundle/files/"}
  [[ $prefix == / || $path == "$prefix"* ]] || { echo "install.sh: $path is outside the machine root $mroot" >&2; exit 1; }
done < <(find "$bundle/files" -type f -print0)

stop_runner() {
  local pidfile=$state_dir/unit-runner.pid pid i
  [[ -s $pidfile ]] || return 0
  read -r pid <"$pidfile"
  if kill -0 "$pid" 2>/dev/null && grep -q cli-runner "/proc/$pid/cmdline" 2>/dev/null; then
    say "stopping the unit runner (pid $pid)"
    kill -TERM "$pid"
    for ((i = 0; i < 600; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { say "runner $pid still alive after 60 s: SIGKILL"; kill -KILL "$pid"; }
  fi
  rm -f -- "$pidfile"
}

mkdir -p -- "$unit_dir" "$state_dir" "$log_dir"
chmod 700 "$state_dir"
# Units the bundle dropped (a component removed from the chart) go, as `helm upgrade` deletes dropped objects.
for f in "$unit_dir"/kp-*.service "$unit_dir"/kp-*.timer; do
  [[ -e $f ]] || continue
  [[ -e $bundle/files$f ]] || { say "removing $(basename "$f") (no longer in the bundle)"; rm -f -- "$f"; }
done
cp -a "$bundle/files/." /
install -m 0644 "$bundle/machine.json" "$(dirname "$pki_dir")/machine.json"
say "installed $(find "$bundle/files" -type f | wc -l) files under $mroot (units: ${units[*]})"
((start)) || exit 0

if ((runner == 0)) && [[ -d /run/systemd/system && $mroot == / ]]; then
  systemctl daemon-reload
  for u in "${units[@]}"; do
    systemctl enable --quiet "$u.service"
    systemctl restart "$u.service"
    say "systemctl restart $u"
  done
  # Timers (the scheduled etcd backup) start their oneshot services; the unit runner has no timers.
  for f in "$unit_dir"/kp-*.timer; do
    [[ -e $f ]] || continue
    systemctl enable --quiet --now "$(basename "$f")"
    say "systemctl enable --now $(basename "$f")"
  done
  exit 0
fi
stop_runner
rm -f -- "$state_dir/unit-runner.json"
setsid -f "$here/run-units.sh" "$(dirname "$pki_dir")/machine.json" </dev/null >>"$log_dir/unit-runner.log" 2>&1
for ((i = 0; i < 100; i++)); do
  pid=$(jq -r '.pid // empty' "$state_dir/unit-runner.json" 2>/dev/null || true)
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && break
  sleep 0.1
done
[[ -n ${pid:-} ]] || { echo "install.sh: the unit runner did not start (see $log_dir/unit-runner.log)" >&2; exit 1; }
printf '%s\n' "$pid" >"$state_dir/unit-runner.pid"
say "unit runner pid $pid: $(jq -r '[.units[] | "\(.name)=\(.state)"] | join(" ")' "$state_dir/unit-runner.json")"
