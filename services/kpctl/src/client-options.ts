// The apiserver client's options from resolved settings: files as paths, inline kubeconfig data as ready credentials.
import { readFileSync } from "node:fs";
import { ChannelCredentials } from "@grpc/grpc-js";
import type { ClientOptions } from "@kubeplane/client";
import { UsageError, type Flags } from "./args.js";
import type { ConnectionSettings } from "./context-config.js";

/** The impersonation the global flags ask for (--as USER, --as-group GROUP repeated), or undefined. */
export function impersonationFlags(flags: Flags): ConnectionSettings["impersonate"] {
  const user = flags.string("as");
  const groups = flags.strings("as-group");
  if (!user) {
    if (groups.length > 0) throw new UsageError("requesting groups without impersonating a user: --as-group needs --as");
    return undefined;
  }
  return { user, groups };
}

/**
 * What `ApiClient.connect` needs for these settings. With inline data (`certificate-authority-data`,
 * `client-certificate-data`, `client-key-data`) the TLS credentials are built here, the other
 * parts read from their files; otherwise the client reads the files itself. The token rides on
 * either (the client composes it onto the channel's credentials).
 */
export function clientOptions(settings: ConnectionSettings, userAgent: string): ClientOptions {
  const opts: ClientOptions = { server: settings.server, timeoutMs: settings.timeoutMs, userAgent };
  if (settings.token) opts.token = settings.token;
  if (settings.impersonate) opts.impersonate = settings.impersonate;
  if (settings.caData === undefined && settings.certData === undefined && settings.keyData === undefined) {
    opts.caFile = settings.caFile;
    opts.certFile = settings.certFile;
    opts.keyFile = settings.keyFile;
    return opts;
  }
  const pem = (data: string | undefined, file: string | undefined): Buffer | null =>
    data !== undefined ? Buffer.from(data) : file ? readFileSync(file) : null;
  opts.credentials = ChannelCredentials.createSsl(
    pem(settings.caData, settings.caFile),
    pem(settings.keyData, settings.keyFile),
    pem(settings.certData, settings.certFile),
  );
  return opts;
}
