// Named errors thrown by the test harness, each carrying a stable `code` and the `cause` it wraps.

/** Thrown by `waitFor` when its probe never returned a truthy value before the deadline; `cause` is the probe's last error, if any. */
export class WaitTimeoutError extends Error {
  override readonly name = "WaitTimeoutError";
  readonly code = "WAIT_TIMEOUT";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * Thrown when a server process (etcd, nats-server) exits or fails to become ready during start or
 * restart. `logTail` holds the end of its log files, which is where the reason usually is.
 */
export class ProcessStartError extends Error {
  override readonly name = "ProcessStartError";
  readonly code = "PROCESS_START_FAILED";
  readonly command: string;
  readonly logTail: string;
  constructor(command: string, reason: string, logTail: string, options?: ErrorOptions) {
    super(`${command} did not start: ${reason}${logTail ? `\n--- log tail ---\n${logTail}` : ""}`, options);
    this.command = command;
    this.logTail = logTail;
  }

  /** True when the process lost a race for one of its ports, so starting again on fresh ports may succeed. */
  get addressInUse(): boolean {
    return /address already in use/i.test(this.logTail);
  }
}
