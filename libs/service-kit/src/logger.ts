// Structured JSON logging (pino) with the component name bound to every line.
import { pino, type Logger as PinoLogger, type LevelWithSilent } from "pino";

/** A pino logger; child loggers add bindings such as `{kind, namespace, name}`. */
export type Logger = PinoLogger;

export const logLevels = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof logLevels)[number];

/** Creates the logger for one component, writing JSON lines to stdout (or `destination`). */
export function createLogger(
  component: string,
  level: LogLevel = "info",
  destination?: NodeJS.WritableStream,
): Logger {
  const options = {
    level: level satisfies LevelWithSilent,
    base: { component },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options, pino.destination({ fd: 1, sync: true }));
}
