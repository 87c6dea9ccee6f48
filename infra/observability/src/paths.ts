// Where this package's shipped files live, whether it runs from src/ (tsx) or dist/src/ (compiled).
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** infra/observability/ */
export const packageRoot = here.split("/").includes("dist") ? resolve(here, "../..") : resolve(here, "..");
/** The generated Grafana dashboards. */
export const dashboardsDir = join(packageRoot, "dashboards");
/** Recording and alert rules (`*.yaml`); their promtool unit tests are in `rules/tests/`. */
export const rulesDir = join(packageRoot, "rules");
/** promtool unit-test files for the rules. */
export const ruleTestsDir = join(rulesDir, "tests");
