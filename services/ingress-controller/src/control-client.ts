// GETs from nginx's control socket (the unix-socket server the rendered configuration ends with).
import { request, type IncomingMessage } from "node:http";

/** The body of `GET path` on the control socket at `socketPath`; "" when nginx does not answer 200 (it is reloading or restarting). */
export function controlGet(socketPath: string, path: string): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path, agent: false }, (res: IncomingMessage) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve(res.statusCode === 200 ? body : ""));
      res.on("error", () => resolve(""));
    });
    req.on("error", () => resolve(""));
    req.end();
  });
}
