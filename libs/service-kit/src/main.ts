// Process entry for a service: configuration, signals, exit codes.
import { loadConfig, type ConfigOf, type ConfigSchema } from "./config.js";
import { ConfigError, HelpRequested } from "./errors.js";
import { createLogger, type LogLevel, type Logger } from "./logger.js";
import { stopTracing } from "./tracing.js";

/** What `run` receives besides its configuration. */
export interface RunContext {
  /** Aborted on the first SIGTERM or SIGINT: stop accepting work, drain, return. */
  signal: AbortSignal;
  logger: Logger;
}

export interface MainOptions<S extends ConfigSchema> {
  /** Component name: "apiserver", "scheduler", … */
  name: string;
  schema: S;
  /** Environment variable prefix; default `KP_<NAME>` (upper-cased, dashes to underscores). */
  envPrefix?: string;
  /** The service itself (its package's `run`); resolves once it has stopped. */
  run: (config: ConfigOf<S>, ctx: RunContext) => Promise<void>;
  argv?: readonly string[];
}

/**
 * The whole of a service's `main.ts`: reads configuration (exit 2 with a message naming the key
 * on a bad value, exit 0 after `--help`), runs the service until SIGTERM/SIGINT, and exits 0 once
 * it stopped. A second signal, or a stop that overruns its grace period by 15 s, exits 1.
 */
export async function runMain<S extends ConfigSchema>(options: MainOptions<S>): Promise<never> {
  const program = `kubeplane-${options.name}`;
  const envPrefix = options.envPrefix ?? `KP_${options.name.toUpperCase().replace(/-/g, "_")}`;
  let config: ConfigOf<S>;
  try {
    config = loadConfig(options.schema, { argv: options.argv ?? process.argv.slice(2), envPrefix, program });
  } catch (err) {
    if (err instanceof HelpRequested) {
      process.stdout.write(`${err.usage}\n`);
      process.exit(0);
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`${program}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const level = ((config as Record<string, unknown>).logLevel as LogLevel | undefined) ?? "info";
  const logger = createLogger(options.name, level);
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      logger.warn({ signal: sig }, "second signal: exiting now");
      process.exit(1);
    }
    logger.info({ signal: sig }, "signal received: stopping");
    controller.abort();
    const grace = Number((config as Record<string, unknown>).shutdownGracePeriod ?? 10_000);
    setTimeout(() => {
      logger.error("stop overran its grace period: exiting");
      process.exit(1);
    }, grace + 15_000).unref();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  try {
    await options.run(config, { signal: controller.signal, logger });
  } catch (err) {
    logger.fatal({ err }, "service failed");
    await stopTracing().catch(() => undefined);
    process.exit(1);
  }
  await stopTracing().catch((err: unknown) => logger.warn({ err }, "flushing traces failed"));
  process.exit(0);
}
