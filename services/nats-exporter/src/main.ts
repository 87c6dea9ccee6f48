// Process entry of the nats-exporter: parses configuration and runs it until SIGTERM.
import { runMain } from "@kubeplane/service-kit";
import { natsExporterConfig } from "./config.js";
import { run } from "./index.js";

await runMain({ name: "nats-exporter", schema: natsExporterConfig, run });
