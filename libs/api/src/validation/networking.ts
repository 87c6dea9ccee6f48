// Ingress validation: rules, paths with a required pathType, backends and TLS.
import { FieldPath, invalid, required, type FieldError } from "../field-errors.js";
import type { Ingress, IngressBackend } from "../gen/kubeplane/networking/v1/ingress.js";
import { validateEnum } from "./common.js";
import { dns1035LabelProblems, dns1123SubdomainProblems, ianaSvcNameProblems, portNumberProblems } from "./names.js";

const spec = FieldPath.root("spec");

/** An Ingress: a default backend or rules, each path with a pathType and one backend. */
export function validateIngress(ing: Ingress): FieldError[] {
  const s = ing.spec;
  if (!s) return [required(spec, "")];
  const errs: FieldError[] = [];
  if (!s.defaultBackend && s.rules.length === 0) errs.push(invalid(spec, s.rules, "either `defaultBackend` or `rules` must be specified"));
  if (s.defaultBackend) errs.push(...validateBackend(s.defaultBackend, spec.child("defaultBackend")));
  s.rules.forEach((rule, i) => {
    const rp = spec.child("rules").index(i);
    if (rule.host !== "") {
      const host = rule.host.startsWith("*.") ? rule.host.slice(2) : rule.host;
      for (const problem of dns1123SubdomainProblems(host)) errs.push(invalid(rp.child("host"), rule.host, problem));
    }
    if (!rule.http) return;
    const hp = rp.child("http").child("paths");
    if (rule.http.paths.length === 0) errs.push(required(hp, ""));
    rule.http.paths.forEach((path, j) => {
      const pp = hp.index(j);
      errs.push(...validateEnum(path.pathType, ["Exact", "Prefix", "ImplementationSpecific"], pp.child("pathType")));
      if (path.pathType !== "ImplementationSpecific" && !path.path.startsWith("/")) errs.push(invalid(pp.child("path"), path.path, "must be an absolute path"));
      if (!path.backend) errs.push(required(pp.child("backend"), ""));
      else errs.push(...validateBackend(path.backend, pp.child("backend")));
    });
  });
  return errs;
}

function validateBackend(b: IngressBackend, path: FieldPath): FieldError[] {
  if (b.service && b.resource) return [invalid(path, "", "cannot set both resource and service backends")];
  if (b.resource) return b.resource.kind === "" || b.resource.name === "" ? [required(path.child("resource"), "kind and name are required")] : [];
  if (!b.service) return [invalid(path, "", "resource or service backend is required")];
  const sp = path.child("service");
  const errs: FieldError[] = [];
  if (b.service.name === "") errs.push(required(sp.child("name"), ""));
  else for (const problem of dns1035LabelProblems(b.service.name)) errs.push(invalid(sp.child("name"), b.service.name, problem));
  const port = b.service.port;
  if (!port || (port.name === "" && port.number === 0)) errs.push(required(sp.child("port"), "port name or number is required"));
  else if (port.name !== "" && port.number !== 0) errs.push(invalid(sp.child("port"), port, "cannot set both port name & port number"));
  else if (port.name !== "") for (const problem of ianaSvcNameProblems(port.name)) errs.push(invalid(sp.child("port").child("name"), port.name, problem));
  else for (const problem of portNumberProblems(port.number)) errs.push(invalid(sp.child("port").child("number"), port.number, problem));
  return errs;
}
