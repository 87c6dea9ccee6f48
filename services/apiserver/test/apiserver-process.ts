// Runs an apiserver as a child process (so a test can SIGKILL it) on free loopback ports.
import { fileURLToPath } from "node:url";
import { startServiceProcess, type ServiceProcess } from "@kubeplane/testing";

const mainTs = fileURLToPath(new URL("../src/main.ts", import.meta.url));

export interface ApiserverProcess extends ServiceProcess {
  /** True when its /metrics says it leads the watch publisher. */
  isLeader(): Promise<boolean>;
}

export async function spawnApiserver(flags: Record<string, string>): Promise<ApiserverProcess> {
  const proc = await startServiceProcess({ entry: mainTs, flags });
  return Object.assign(proc, {
    isLeader: async () => /^apiserver_watch_publisher_leader 1$/m.test(await proc.metrics()),
  });
}
