// eta configured for charts: no escaping, Helm-like locals and helpers, define/include/tpl, errors at file:line.
import { Script } from "node:vm";
import { Eta } from "eta/core";
import { TemplateError } from "./errors.js";
import { HELPER_NAMES, HELPERS, TemplateFailure, toText } from "./helpers.js";

/** A compiled template: its Helm-style name (`web/templates/service.yaml`) and the function eta made of it. */
export interface CompiledTemplate {
  file: string;
  fn: (this: Eta, it: object, options: { filepath: string }) => string;
}

/** What templates call back into: the helpers, the named-template registry, include and tpl. */
interface TemplateRuntime {
  helpers: typeof HELPERS;
  define(name: string, body: (ctx: unknown) => string): void;
  include(name: string, ctx: unknown): string;
  tpl(text: unknown, ctx: unknown): string;
  rethrow(err: unknown, file: string, line: number): never;
}

/** The engine's Eta with the runtime the generated code reaches as `this.kp`. */
class ChartEta extends Eta {
  kp!: TemplateRuntime;
}

/** Locals of every template: the root objects (as in Helm, minus the dot), the helpers, define and tpl. */
const FUNCTION_HEADER = [
  "const {Values, Release, Chart, Capabilities, Template} = it;",
  `const {${HELPER_NAMES.join(", ")}} = this.kp.helpers;`,
  "const define = (__kp_name, __kp_body) => this.kp.define(__kp_name, (__kp_ctx) => { try { return capture(() => __kp_body(__kp_ctx)); } catch (e) { this.kp.rethrow(e, options.filepath, __eta.line); } });",
  "const tpl = (__kp_text, __kp_ctx) => this.kp.tpl(__kp_text, __kp_ctx === undefined ? it : __kp_ctx);",
].join("\n");

/** eta declares its own `include` (file partials by path); Helm's include renders a named template with a context. */
const ETA_INCLUDE = /^let include = .*$/m;
const CHART_INCLUDE = "let include = (__kp_name, __kp_ctx) => this.kp.include(__kp_name, __kp_ctx === undefined ? it : __kp_ctx);";

function reasonOf(err: unknown): string {
  if (err instanceof TemplateError) return err.message;
  if (err instanceof TemplateFailure) return `execution error: ${err.message}`;
  if (err instanceof Error) return `${err.name === "Error" ? "" : `${err.name}: `}${err.message}`;
  return String(err);
}

/** The template line of generated code's line `n`: the last `__eta.line=` marker at or before it. */
function templateLine(code: string, n: number): number {
  const lines = code.split("\n").slice(0, n);
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^__eta\.line=(\d+)$/.exec(lines[i] as string);
    if (m) return Number(m[1]);
  }
  return 1;
}

/**
 * Compiles and renders one chart's templates (and its subcharts'). Not reentrant across charts
 * in flight: named templates are one namespace per engine, as they are per Helm render.
 */
export class TemplateEngine {
  private readonly eta: ChartEta;
  private readonly named = new Map<string, (ctx: unknown) => string>();
  private readonly templates = new Map<string, CompiledTemplate>();
  private includeDepth = 0;

  constructor() {
    this.eta = new ChartEta({
      autoEscape: false,
      // Like Helm, which blanks "<no value>": a missing value prints as nothing; maps and lists as JSON.
      autoFilter: true,
      filterFunction: toText,
      autoTrim: false,
      debug: true,
      useWith: false,
      varName: "it",
      functionHeader: FUNCTION_HEADER,
      plugins: [{ processFnString: (fn: string) => fn.replace(ETA_INCLUDE, CHART_INCLUDE) }],
    });
    if (!ETA_INCLUDE.test(this.eta.compileToString("", {}))) throw new Error("eta's generated code changed: cannot install the chart include()");
    this.eta.RuntimeErr = ((err: unknown, _text: string, line: number, file: string): never => {
      throw err instanceof TemplateError && err.file === file ? err : new TemplateError(file, line, reasonOf(err), { cause: err });
    }) as Eta["RuntimeErr"];
    this.eta.kp = {
      helpers: HELPERS,
      define: (name, body) => void this.named.set(name, body),
      include: (name, ctx) => this.include(name, ctx),
      tpl: (text, ctx) => this.render(this.compile("tpl", String(text)), ctx as object),
      rethrow: (err, file, line) => {
        throw err instanceof TemplateError ? err : new TemplateError(file, line, reasonOf(err), { cause: err });
      },
    };
  }

  /** Compiles a template; a tag eta cannot parse or JavaScript that does not compile is a TemplateError at its line. */
  compile(file: string, text: string): CompiledTemplate {
    let code: string;
    try {
      code = this.eta.compileToString(text, { filepath: file });
    } catch (err) {
      const m = /at line (\d+) col/.exec((err as Error).message);
      throw new TemplateError(file, m ? Number(m[1]) : 0, ((err as Error).message.split("\n")[0] ?? "").replace(/ at line \d+ col \d+:?$/, ""), { cause: err });
    }
    const wrapped = `(function (it, options) {\n${code}\n})`;
    try {
      const fn = new Script(wrapped, { filename: file }).runInThisContext() as CompiledTemplate["fn"];
      return { file, fn };
    } catch (err) {
      const at = /^[^\n]*:(\d+)\n/.exec((err as Error).stack ?? "");
      const line = at ? templateLine(wrapped, Number(at[1])) : 0;
      throw new TemplateError(file, line, `${(err as Error).name}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Makes a template includable by its full name (`web/templates/configmap.yaml`), as Go templates are. */
  add(template: CompiledTemplate): void {
    this.templates.set(template.file, template);
  }

  /** Runs a `_`-prefixed file once (its `define` calls register named templates); it is includable by its base name too. */
  loadPartial(template: CompiledTemplate, ctx: object): void {
    const base = template.file.slice(template.file.lastIndexOf("/") + 1);
    this.add(template);
    if (!this.templates.has(base)) this.templates.set(base, template);
    this.render(template, ctx);
  }

  render(template: CompiledTemplate, ctx: object): string {
    return template.fn.call(this.eta, ctx, { filepath: template.file });
  }

  /** Helm's include: a `define`d template, else a template file by full name (or a partial by base name), rendered with `ctx`. */
  include(name: string, ctx: unknown): string {
    const named = this.named.get(name);
    const partial = named ? undefined : this.templates.get(name);
    if (!named && !partial) throw new Error(`error calling include: template "${name}" not defined`);
    // Recursion without end would otherwise run until the time limit; Helm stops at 1000 too.
    if (this.includeDepth >= 1000) throw new Error(`error calling include: rendering template "${name}" has a nested reference that exceeds the limit of 1000`);
    this.includeDepth++;
    try {
      return named ? named(ctx) : this.render(partial as CompiledTemplate, ctx as object);
    } catch (err) {
      if (err instanceof TemplateError) throw new Error(`error calling include("${name}"): ${err.message}`, { cause: err });
      throw err;
    } finally {
      this.includeDepth--;
    }
  }
}
