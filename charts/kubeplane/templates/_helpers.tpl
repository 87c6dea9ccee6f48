<%_ /* Named templates of the kubeplane chart: the cluster's topology, one bundle file, one systemd unit. */ _%>
<%_ /* kp.topology: JSON of the machines (with their root, config, state and PKI directories) and the cluster's endpoint lists. */ _%>
<%_ define("kp.topology", (ctx) => {
  const V = ctx.Values;
  const P = V.ports;
  const machines = V.machines.map((m) => {
    const root = (m.root ?? V.install.root).replace(/\/+$/, "");
    return { ...m, labels: m.labels ?? {}, root: root === "" ? "/" : root, etc: `${root}/etc/kubeplane`, state: `${root}/var/lib/kubeplane`, pki: `${root}/etc/kubeplane/pki`, log: `${root}/var/log/kubeplane`, units: `${root}/etc/systemd/system` };
  });
  const cps = machines.filter((m) => m.role === "control-plane");
  const workers = machines.filter((m) => m.role === "worker");
  if (cps.length === 0) fail("machines: at least one control-plane machine is required");
  if (new Set(machines.map((m) => m.name)).size !== machines.length) fail("machines: names must be unique");
  const topology = {
    machines, cps, workers,
    etcdEndpoints: cps.map((m) => `https://${m.address}:${P.etcdClient}`).join(","),
    etcdInitialCluster: cps.map((m) => `${m.name}=https://${m.address}:${P.etcdPeer}`).join(","),
    natsUrl: cps.map((m) => `tls://${m.address}:${P.natsClient}`).join(","),
    apiservers: cps.map((m) => `${m.address}:${P.apiserverGrpc}`).join(","),
    /* The command line that starts each Kubeplane service: node, its flags, the service's entry file. */
    cmd: Object.fromEntries(["apiserver", "scheduler", "controller-manager", "cloud-controller-manager", "kubelet", "kube-proxy", "dns", "ingress-controller", "nats-authorizer"]
      .map((s) => [s, [V.install.node, ...(V.install.nodeArgs ?? []), `${V.install.kubeplaneDir}/services/${s}/${V.install.entry ?? "dist/src/main.js"}`]])),
  };
_%>
<%= toJson(topology) %>
<%_ }) _%>

<%_ /* kp.file: one file of a machine's bundle, as a MachineFile document ({machine, path, mode, content}); path is absolute on the machine. */ _%>
<%_ define("kp.file", (f) => { %>
---
<%= toYaml({ apiVersion: "deploy.kubeplane.io/v1", kind: "MachineFile", metadata: { name: `${f.machine}:${f.path}` }, spec: { machine: f.machine, path: f.path, mode: f.mode ?? "0644", content: f.content } }) %>
<%_ }) _%>

<%_ /*
  kp.unit: a systemd service unit. u = {description, exec: [argv], env: {}, after: [units], workingDirectory, hardened: bool, extra: [lines]}.
  Hardened units (every component that needs no host privileges) get a read-only system, private /tmp,
  no new privileges and no kernel tunables; containerd, the kubelet and kube-proxy need the host, so they do not.
*/ _%>
<%_ define("kp.unit", (u) => {
  const esc = (a) => String(a).replaceAll("%", "%%");
  const lines = [
    `# ${u.description}. Rendered by the kubeplane chart; do not edit (re-render and re-install instead).`,
    "[Unit]",
    `Description=Kubeplane ${u.description}`,
    `After=${["network-online.target", ...(u.after ?? [])].join(" ")}`,
    "Wants=network-online.target",
    "",
    "[Service]",
    "Type=exec",
    ...(u.workingDirectory ? [`WorkingDirectory=${u.workingDirectory}`] : []),
    ...Object.entries(u.env ?? {}).map(([k, v]) => `Environment=${k}=${esc(v)}`),
    `ExecStart=${u.exec.map(esc).join(" \\\n    ")}`,
    "Restart=on-failure",
    "RestartSec=2",
    "TimeoutStopSec=30",
    "LimitNOFILE=1048576",
    ...(u.hardened
      ? [
          "NoNewPrivileges=yes",
          "PrivateTmp=yes",
          "ProtectSystem=full",
          "ProtectHome=read-only",
          "ProtectKernelTunables=yes",
          "ProtectKernelModules=yes",
          "ProtectControlGroups=yes",
          "RestrictSUIDSGID=yes",
          "LockPersonality=yes",
          "RestrictRealtime=yes",
        ]
      : []),
    ...(u.extra ?? []),
    "",
    "[Install]",
    "WantedBy=multi-user.target",
  ];
_%>
<%= lines.join("\n") %>
<%_ }) _%>
