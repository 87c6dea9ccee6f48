// Kubernetes' name and identifier checks (apimachinery's util/validation), with its exact messages.

const dns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`;
const dns1035LabelFmt = "[a-z]([-a-z0-9]*[a-z0-9])?";
const qualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const labelValueFmt = `(${qualifiedNameFmt})?`;
const envVarNameFmt = "[-._a-zA-Z][-._a-zA-Z0-9]*";
const configKeyFmt = "[-._a-zA-Z0-9]+";

const dns1123LabelRe = new RegExp(`^${dns1123LabelFmt}$`);
const dns1123SubdomainRe = new RegExp(`^${dns1123SubdomainFmt}$`);
const dns1035LabelRe = new RegExp(`^${dns1035LabelFmt}$`);
const qualifiedNameRe = new RegExp(`^${qualifiedNameFmt}$`);
const labelValueRe = new RegExp(`^${labelValueFmt}$`);
const envVarNameRe = new RegExp(`^${envVarNameFmt}$`);
const configKeyRe = new RegExp(`^${configKeyFmt}$`);

export const DNS1123_LABEL_MAX = 63;
export const DNS1123_SUBDOMAIN_MAX = 253;
export const QUALIFIED_NAME_MAX = 63;
export const LABEL_VALUE_MAX = 63;

/** apimachinery's MaxLenError. */
export function maxLenMessage(max: number): string {
  return `must be no more than ${max} characters`;
}

/** apimachinery's RegexError: the explanation, examples and the regex. */
function regexMessage(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}'`).join(",  or ")}, regex used for validation is '${fmt}')`;
}

/** Problems with `value` as a DNS-1123 label (at most 63 characters); empty when valid. */
export function dns1123LabelProblems(value: string): string[] {
  const problems: string[] = [];
  if (value.length > DNS1123_LABEL_MAX) problems.push(maxLenMessage(DNS1123_LABEL_MAX));
  if (!dns1123LabelRe.test(value)) {
    problems.push(
      regexMessage(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
        dns1123LabelFmt,
        "my-name",
        "123-abc",
      ),
    );
  }
  return problems;
}

/** Problems with `value` as a DNS-1123 subdomain (at most 253 characters); empty when valid. */
export function dns1123SubdomainProblems(value: string): string[] {
  const problems: string[] = [];
  if (value.length > DNS1123_SUBDOMAIN_MAX) problems.push(maxLenMessage(DNS1123_SUBDOMAIN_MAX));
  if (!dns1123SubdomainRe.test(value)) {
    problems.push(
      regexMessage(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        dns1123SubdomainFmt,
        "example.com",
      ),
    );
  }
  return problems;
}

/** Problems with `value` as a DNS-1035 label (a DNS-1123 label starting with a letter). */
export function dns1035LabelProblems(value: string): string[] {
  const problems: string[] = [];
  if (value.length > DNS1123_LABEL_MAX) problems.push(maxLenMessage(DNS1123_LABEL_MAX));
  if (!dns1035LabelRe.test(value)) {
    problems.push(
      regexMessage(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
        dns1035LabelFmt,
        "my-name",
        "abc-123",
      ),
    );
  }
  return problems;
}

/** Problems with `value` as a qualified name: an optional DNS subdomain prefix and "/", then a name of at most 63 characters. */
export function qualifiedNameProblems(value: string): string[] {
  const problems: string[] = [];
  const parts = value.split("/");
  let name: string;
  if (parts.length === 1) {
    name = value;
  } else if (parts.length === 2) {
    const prefix = parts[0] ?? "";
    name = parts[1] ?? "";
    if (prefix.length === 0) problems.push("prefix part must be non-empty");
    else problems.push(...dns1123SubdomainProblems(prefix).map((p) => `prefix part ${p}`));
  } else {
    return [
      regexMessage(
        "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        qualifiedNameFmt,
        "MyName",
        "my.name",
        "123-abc",
      ) + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) {
    problems.push("name part must be non-empty");
  } else {
    if (name.length > QUALIFIED_NAME_MAX) problems.push(`name part ${maxLenMessage(QUALIFIED_NAME_MAX)}`);
    if (!qualifiedNameRe.test(name)) {
      problems.push(
        `name part ${regexMessage(
          "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
          qualifiedNameFmt,
          "MyName",
          "my.name",
          "123-abc",
        )}`,
      );
    }
  }
  return problems;
}

/** Problems with `value` as a label value (empty, or at most 63 characters of [A-Za-z0-9_.-] with alphanumeric ends). */
export function labelValueProblems(value: string): string[] {
  const problems: string[] = [];
  if (value.length > LABEL_VALUE_MAX) problems.push(maxLenMessage(LABEL_VALUE_MAX));
  if (!labelValueRe.test(value)) {
    problems.push(
      regexMessage(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        labelValueFmt,
        "MyValue",
        "my_value",
        "12345",
      ),
    );
  }
  return problems;
}

/** Problems with `value` as an IANA_SVC_NAME (a named port): at most 15 of [a-z0-9-], a letter, no "--", no hyphen at the ends. */
export function ianaSvcNameProblems(value: string): string[] {
  const problems: string[] = [];
  if (value.length > 15) problems.push(maxLenMessage(15));
  if (!/^[-a-z0-9]+$/.test(value)) problems.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  if (value.includes("--")) problems.push("must not contain consecutive hyphens");
  if (!/[a-z]/.test(value)) problems.push("must contain at least one letter (a-z)");
  if (value.startsWith("-") || value.endsWith("-")) problems.push("must not begin or end with a hyphen");
  return problems;
}

/** Problems with `value` as an environment variable name. */
export function envVarNameProblems(value: string): string[] {
  if (envVarNameRe.test(value)) return [];
  return [
    regexMessage(
      "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit",
      envVarNameFmt,
      "my.env-name",
      "MY_ENV.NAME",
      "MyEnvName1",
    ),
  ];
}

/** Problems with `value` as a ConfigMap or Secret key. */
export function configKeyProblems(value: string): string[] {
  const problems: string[] = [];
  if (value.length > DNS1123_SUBDOMAIN_MAX) problems.push(maxLenMessage(DNS1123_SUBDOMAIN_MAX));
  if (!configKeyRe.test(value)) {
    problems.push(
      regexMessage(
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
        configKeyFmt,
        "key.name",
        "KEY_NAME",
        "key-name",
      ),
    );
  }
  if (value === ".") problems.push("must not be '.'");
  else if (value === "..") problems.push("must not be '..'");
  else if (value.startsWith("..")) problems.push("must not start with '..'");
  return problems;
}

/** Problems with `value` as a port number. */
export function portNumberProblems(value: number): string[] {
  return Number.isInteger(value) && value >= 1 && value <= 65535 ? [] : ["must be between 1 and 65535, inclusive"];
}

/** True when `value` is a DNS-1123 subdomain of at most 253 characters (most object names). */
export function isDns1123Subdomain(value: string): boolean {
  return dns1123SubdomainProblems(value).length === 0;
}

/** True when `value` is a DNS-1123 label of at most 63 characters (namespace names, container names). */
export function isDns1123Label(value: string): boolean {
  return dns1123LabelProblems(value).length === 0;
}

/** True when `value` is a qualified name such as a label key (`app`, `example.com/tier`). */
export function isQualifiedName(value: string): boolean {
  return qualifiedNameProblems(value).length === 0;
}

/** True when `value` may be a label's value (empty included). */
export function isValidLabelValue(value: string): boolean {
  return labelValueProblems(value).length === 0;
}
