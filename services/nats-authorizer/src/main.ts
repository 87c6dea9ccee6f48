// Process entry of the nats-authorizer: parses configuration and runs it until SIGTERM.
import { runMain } from "@kubeplane/service-kit";
import { natsAuthorizerConfig } from "./config.js";
import { run } from "./index.js";

await runMain({ name: "nats-authorizer", schema: natsAuthorizerConfig, run });
