// Keeps Node's DEP0123 warning (TLS ServerName set to an IP address) out of every process's stderr.

let installed = false;

/**
 * grpc-js sets the TLS ServerName to the target host even when it is an IP address (a cluster
 * dialled as 127.0.0.1:6443); Node then sends no SNI, verifies the certificate's IP SAN as it
 * should, and prints a deprecation warning that says nothing useful to an operator. Every other
 * warning still goes through. Idempotent.
 */
export function silenceIpServerNameWarning(): void {
  if (installed) return;
  installed = true;
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: unknown, ...rest: unknown[]) => {
    const code = typeof rest[0] === "object" && rest[0] !== null ? (rest[0] as { code?: string }).code : rest[1];
    if (code === "DEP0123") return;
    emit(warning, ...rest);
  }) as typeof process.emitWarning;
}
