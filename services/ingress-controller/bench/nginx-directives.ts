// Reads an nginx.conf text into the directives that apply to one proxied route, so the bench can diff the ingress's rendered configuration against its peer's.

/** One directive: its name, its arguments (quotes removed) and, for a block, its children. */
export interface Directive {
  name: string;
  args: string[];
  block?: Directive[];
}

/** The directives in effect for requests to one host on one port, as nginx inherits them. */
export interface RouteDirectives {
  /** Main and `events` context: `worker_processes`, `worker_connections`, … */
  main: Map<string, string[]>;
  /** http → server → location, an inner level replacing every occurrence of a name it sets (nginx's inheritance). */
  route: Map<string, string[]>;
  /** The `upstream` block `proxy_pass` names: `server` lines as "address params", the rest by name. */
  upstream: Map<string, string[]>;
  /** The options of the route server's `listen` on the port (address removed), sorted. */
  listen: string;
}

/** Splits a configuration text into words, `{`, `}` and `;`; quotes and comments as nginx reads them, a Lua block's code as one word. */
function tokens(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) i++;
    else if (c === "#") while (i < text.length && text[i] !== "\n") i++;
    else if (c === "{" || c === "}" || c === ";") out.push(text[i++]!);
    else if (c === '"' || c === "'") {
      let word = "";
      for (i++; i < text.length && text[i] !== c; i++) word += text[i] === "\\" ? text[++i] : text[i];
      i++;
      out.push(word);
    } else {
      let word = "";
      while (i < text.length && !/[\s{};]/.test(text[i]!)) word += text[i++];
      out.push(word);
      if (word.endsWith("_by_lua_block")) {
        // lua-nginx-module's `*_by_lua_block { code }`: the code (braces balanced) is one argument.
        while (i < text.length && /\s/.test(text[i]!)) i++;
        if (text[i] !== "{") continue;
        let depth = 0;
        const start = i + 1;
        for (; i < text.length; i++) {
          if (text[i] === "{") depth++;
          else if (text[i] === "}" && --depth === 0) break;
        }
        out.push(text.slice(start, i).trim(), ";");
        i++;
      }
    }
  }
  return out;
}

/** Parses a whole nginx.conf into its directive tree. */
export function parseNginxConfig(text: string): Directive[] {
  const words = tokens(text);
  let at = 0;
  const list = (): Directive[] => {
    const out: Directive[] = [];
    while (at < words.length && words[at] !== "}") {
      const name = words[at++]!;
      const args: string[] = [];
      while (at < words.length && words[at] !== ";" && words[at] !== "{") args.push(words[at++]!);
      if (words[at] === "{") {
        at++;
        out.push({ name, args, block: list() });
        at++;
      } else {
        at++;
        out.push({ name, args });
      }
    }
    return out;
  };
  return list();
}

/** Simple directives of a level by name, each occurrence's arguments joined (a repeated name keeps every occurrence). */
function level(directives: Directive[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const d of directives) if (d.block === undefined) out.set(d.name, [...(out.get(d.name) ?? []), d.args.join(" ")]);
  return out;
}

function inherit(outer: Map<string, string[]>, inner: Map<string, string[]>): Map<string, string[]> {
  return new Map([...outer, ...inner]);
}

const blocks = (ds: Directive[], name: string): Directive[] => ds.filter((d) => d.name === name && d.block !== undefined);

/**
 * The directives serving `GET /` for Host `host` on `port`: the server whose `server_name` is
 * `host`, else the port's default server, else its first; its `location /`. Throws when the
 * configuration has no such server, location or upstream.
 */
export function routeDirectives(text: string, host: string, port: number): RouteDirectives {
  const top = parseNginxConfig(text);
  const http = blocks(top, "http")[0]?.block ?? [];
  const onPort = (l: Directive): boolean => l.name === "listen" && (l.args[0] ?? "").endsWith(`:${port}`);
  const servers = blocks(http, "server").filter((s) => s.block!.some(onPort));
  const server =
    servers.find((s) => s.block!.some((d) => d.name === "server_name" && d.args.includes(host))) ??
    servers.find((s) => s.block!.some((d) => onPort(d) && d.args.includes("default_server"))) ??
    servers[0];
  if (server === undefined) throw new Error(`no server listens on port ${port}`);
  const location = blocks(server.block!, "location").find((l) => l.args.join(" ") === "/");
  if (location === undefined) throw new Error(`the server for ${host}:${port} has no "location /"`);
  const route = inherit(inherit(level(http), level(server.block!)), level(location.block!));
  const pass = /^https?:\/\/(.+)$/.exec(route.get("proxy_pass")?.[0] ?? "")?.[1];
  const upstreamBlock = blocks(http, "upstream").find((u) => u.args[0] === pass);
  if (upstreamBlock === undefined) throw new Error(`proxy_pass of ${host}:${port} names no upstream block`);
  const listen = server.block!.find(onPort)!.args.slice(1).filter((a) => a !== "default_server");
  return {
    main: inherit(level(top), level(blocks(top, "events")[0]?.block ?? [])),
    route,
    upstream: level(upstreamBlock.block!),
    listen: listen.sort().join(" "),
  };
}
