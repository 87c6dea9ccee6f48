// Enforces ARCHITECTURE §1/§6 layering: libs never import services, services never import each
// other, only the apiserver imports the etcd store (@kubeplane/storage or etcd3).
import { readFileSync, readdirSync, statSync, existsSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("../..", import.meta.url).pathname;
const packages = [];
for (const area of ["libs", "services"]) {
  const dir = join(root, area);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    if (existsSync(join(dir, name, "package.json"))) packages.push({ area, name, dir: join(dir, name) });
  }
}
const serviceNames = new Set(packages.filter((p) => p.area === "services").map((p) => `@kubeplane/${p.name}`));
const storeOnly = new Map([
  ["@kubeplane/storage", "@kubeplane/apiserver"],
  ["etcd3", "@kubeplane/apiserver"],
]);
// The store library itself and the test launchers may use etcd3 directly.
const etcdAllowed = new Set(["@kubeplane/storage", "@kubeplane/testing"]);

function* sourceFiles(dir) {
  for (const entry of readdirSync(dir)) {
    if (entry === "node_modules" || entry === "dist") continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (/\.(ts|mts|js|mjs)$/.test(entry)) yield path;
  }
}

const problems = [];
const importRe = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|^\s*import\s*["']([^"']+)["']/gm;
for (const pkg of packages) {
  const self = `@kubeplane/${pkg.name}`;
  const isTest = (file) => /\.test\.ts$|\/test\//.test(file);
  for (const file of sourceFiles(pkg.dir)) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(importRe)) {
      const spec = m[1] ?? m[2] ?? m[3];
      const target = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0];
      const where = relative(root, file);
      if (target === self) continue;
      if (pkg.area === "libs" && serviceNames.has(target)) problems.push(`${where}: a library imports the service ${target}`);
      if (pkg.area === "services" && serviceNames.has(target)) problems.push(`${where}: a service imports another service, ${target}`);
      const owner = storeOnly.get(target);
      if (owner && self !== owner && !etcdAllowed.has(self) && !isTest(where)) {
        problems.push(`${where}: only ${owner} may import ${target}`);
      }
    }
  }
}
if (problems.length) {
  console.error(`layering violations (ARCHITECTURE §1, §6):\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log(`layering ok (${packages.length} packages)`);
