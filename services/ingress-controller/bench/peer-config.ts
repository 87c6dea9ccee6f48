// The ingress bench's peer: a plain nginx reverse proxy with the ingress's data-path settings.

/**
 * The peer: plain nginx proxying to the same upstream as the ingress, with the ingress's data-path
 * settings (HTTP/1.1 and 64 keep-alive connections per upstream, unbuffered both ways, every
 * endpoint tried once and never marked down, the same timeouts), so that the directives that
 * still differ are the ingress's own work (`config-equivalence.ts` checks and lists them).
 */
export function peerConfig(ports: number[], peerPort: number): string {
  return [
    "  keepalive_timeout 75s;",
    "  client_max_body_size 0;",
    "  proxy_http_version 1.1;",
    "  proxy_request_buffering off;",
    "  proxy_buffering off;",
    "  proxy_connect_timeout 5000ms;",
    "  proxy_next_upstream error timeout;",
    "  proxy_set_header Host $http_host;",
    '  proxy_set_header Connection "";',
    `  upstream web {\n${ports.map((p) => `    server 127.0.0.1:${p} max_fails=0;`).join("\n")}\n    keepalive 64;\n    keepalive_timeout 30s;\n  }`,
    `  server {\n    listen 127.0.0.1:${peerPort};\n    location / {\n      proxy_pass http://web;\n    }\n  }`,
  ].join("\n");
}
