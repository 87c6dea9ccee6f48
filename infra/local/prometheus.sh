# shellcheck shell=bash
# Prometheus of the local cluster: renders prometheus.yml from what up.sh started and runs it on 127.0.0.1:9090 (sourced by up.sh and down.sh, never executed).
#
# kp_prometheus_start (up.sh, after the services started; uses up.sh's kp_needs_start and kp_spawn)
#   scrapes every etcd member (its plain-http metrics listener, client port + 2) and every running service by the http-listen address up.sh recorded
#   (run/<name>.addr), named into kube-prometheus' jobs by infra/observability (jobs.ts), plus
#   Prometheus itself, with the rules of infra/observability/rules. Re-run, it rewrites the config
#   and reloads a running Prometheus (SIGHUP), so a service added later is scraped too.
# kp_prometheus_stop (down.sh, before the services; uses down.sh's kp_stop_group).
#
# Environment:
#   KP_PROMETHEUS_PORT            web UI and API on 127.0.0.1 (default 9090)
#   KP_PROMETHEUS_CA_FILE         with the next two: scrape every target but Prometheus itself over
#   KP_PROMETHEUS_CERT_FILE       https, verified by this CA, presenting this client certificate (the
#   KP_PROMETHEUS_KEY_FILE        cluster PKI's prometheus.crt/.key); default plain http
#   KP_PROMETHEUS_PLAIN_JOBS      jobs still scraped over plain http when TLS is on (space-separated)
#   KP_PROMETHEUS_ETCD_TLS        CA_FILE,CERT_FILE,KEY_FILE for etcd's metrics (etcd's CA, an etcd client certificate)

KP_PROMETHEUS_PORT=${KP_PROMETHEUS_PORT:-9090}
KP_PROMETHEUS_DIR=$KP_DATA_DIR/prometheus
KP_PROMETHEUS_RENDERER=$KP_ROOT/infra/observability/dist/src/render-prometheus-config.js

# The renderer's arguments for what runs now: --component NAME=HOST:PORT per etcd member and per
# service with an http-listen address, TLS files when set, the rules, Prometheus itself.
kp_prometheus_args() {
  local i name addr http job
  for i in "${!KP_ETCD_NAMES[@]}"; do
    printf '%s\n' --component "etcd-${KP_ETCD_NAMES[i]}=$KP_HOST:${KP_ETCD_METRICS_PORTS[i]}"
  done
  while read -r name; do
    kp_is_infra "$name" && continue
    [[ $name == prometheus ]] && continue
    addr=$(kp_address "$name")
    http=$(sed -n 's/.*http-listen=\([^ ]*\).*/\1/p' <<<"$addr")
    [[ -n $http ]] || continue
    printf '%s\n' --component "$name=$http"
  done < <(kp_recorded_components)
  if [[ -n ${KP_PROMETHEUS_CA_FILE:-} ]]; then
    printf '%s\n' --tls-ca-file "$KP_PROMETHEUS_CA_FILE" --tls-cert-file "$KP_PROMETHEUS_CERT_FILE" --tls-key-file "$KP_PROMETHEUS_KEY_FILE"
    for job in ${KP_PROMETHEUS_PLAIN_JOBS:-}; do printf '%s\n' --plain-job "$job"; done
  fi
  [[ -z ${KP_PROMETHEUS_ETCD_TLS:-} ]] || printf '%s\n' --job-tls "etcd=$KP_PROMETHEUS_ETCD_TLS"
  printf '%s\n' --rule-files "$KP_ROOT/infra/observability/rules/*.yaml" --self "$KP_HOST:$KP_PROMETHEUS_PORT" \
    --out "$KP_PROMETHEUS_DIR/prometheus.yml"
}

kp_prometheus_start() {
  command -v prometheus >/dev/null ||
    kp_die "'prometheus' is not on PATH (on a fresh machine \`make up\` installs it: see DEBIAN_PACKAGES in the Makefile)"
  [[ -f $KP_PROMETHEUS_RENDERER ]] || kp_die "$(kp_rel "$KP_PROMETHEUS_RENDERER") is missing: run \`make build\`"
  mkdir -p -- "$KP_PROMETHEUS_DIR/data"
  local args=()
  mapfile -t args < <(kp_prometheus_args)
  node "$KP_PROMETHEUS_RENDERER" "${args[@]}" || kp_die "prometheus: could not render $(kp_rel "$KP_PROMETHEUS_DIR/prometheus.yml")"
  if ! kp_needs_start prometheus; then
    kill -HUP "$KP_PID" && kp_say "prometheus: configuration reloaded"
    return 0
  fi
  kp_port_in_use "$KP_PROMETHEUS_PORT" &&
    kp_die "prometheus: $KP_HOST:$KP_PROMETHEUS_PORT is already in use by a process these scripts did not start (KP_PROMETHEUS_PORT)"
  kp_spawn prometheus "http://$KP_HOST:$KP_PROMETHEUS_PORT" \
    prometheus --config.file="$KP_PROMETHEUS_DIR/prometheus.yml" --storage.tsdb.path="$KP_PROMETHEUS_DIR/data" \
    --web.listen-address="$KP_HOST:$KP_PROMETHEUS_PORT" --storage.tsdb.retention.time=7d --log.level=warn
  local i
  for ((i = 0; i < 100; i++)); do
    if curl -fsS --max-time 1 "http://$KP_HOST:$KP_PROMETHEUS_PORT/-/ready" >/dev/null 2>&1; then
      kp_say "prometheus: http://$KP_HOST:$KP_PROMETHEUS_PORT (config $(kp_rel "$KP_PROMETHEUS_DIR/prometheus.yml"); dashboards to import: infra/observability/dashboards/)"
      return 0
    fi
    kp_state prometheus
    [[ $KP_STATE == running ]] || { kp_tail_log prometheus; kp_die "prometheus exited during startup"; }
    sleep 0.1
  done
  kp_tail_log prometheus
  kp_die "prometheus not ready after 10s"
}

kp_prometheus_stop() {
  kp_stop_group prometheus
}
