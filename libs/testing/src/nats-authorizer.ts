// Starts the nats-authorizer beside a test nats-server (as its own process, from its source), so nodes get their NATS users from their Node objects.
import { fileURLToPath } from "node:url";
import type { NatsServer } from "./nats-server.js";
import { startServiceProcess, type ServiceProcess } from "./service-process.js";

/**
 * Starts the nats-authorizer for `nats`, reading Nodes from the apiserver at `apiserver` with its
 * own certificate (`nats-authorizer` of the test PKI), and resolves once it is ready: Nodes listed
 * and nats-server's authorization file in step with them. `flags` (without dashes) override the
 * defaults, e.g. `resync-period`.
 */
export function startNatsAuthorizer(nats: NatsServer, apiserver: string, flags: Record<string, string> = {}): Promise<ServiceProcess> {
  return startServiceProcess({
    // The path, not an import: no library imports a service (control-plane.ts's serviceEntry, which imports this file).
    entry: fileURLToPath(new URL("../../../services/nats-authorizer/src/main.ts", import.meta.url)),
    flags: {
      apiserver,
      "authorization-file": nats.authorizationFile,
      "static-users-file": nats.staticUsersFile,
      "nats-pid-file": nats.pidFile,
      "nats-monitor-url": nats.monitorUrl,
      ...flags,
    },
  });
}
