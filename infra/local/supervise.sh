#!/usr/bin/env bash
# Internal helper of infra/local/up.sh: runs one component, records its pid file, reaps it and logs its exit.
#
# Usage (up.sh runs it detached with `setsid -f`, stdout/stderr appended to the component's log):
#   supervise.sh NAME PIDFILE COMMAND [ARGS...]
# The component runs as our child in its own process group (job control on), so down.sh can
# signal exactly that group; PIDFILE gets "PID STARTTIME" (starttime = field 22 of /proc/PID/stat)
# so a recycled pid is never mistaken for the component. This wrapper ignores HUP/INT/TERM and
# exits right after the component does, so no zombie is left behind even where PID 1 does not reap.
set -euo pipefail

name=$1 pidfile=$2
shift 2

set -m
"$@" &
child=$!
set +m

start=0 # if the command died at once (e.g. not found) and was already reaped, up.sh sees it as dead
if { read -r stat <"/proc/$child/stat"; } 2>/dev/null; then
  read -r -a fields <<<"${stat##*) }"
  start=${fields[19]}
fi
printf '%s %s\n' "$child" "$start" >"$pidfile.tmp.$$"
mv -f -- "$pidfile.tmp.$$" "$pidfile"

trap '' HUP INT TERM
rc=0
wait "$child" || rc=$?
if ((rc > 128)); then how="killed by signal $((rc - 128))"; else how="exited with status $rc"; fi
printf '[kubeplane-local supervise] %s: %s (pid %s) %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$name" "$child" "$how" >&2
