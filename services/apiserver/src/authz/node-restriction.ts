// Deprecated: NodeRestriction is an admission plugin now (admission/plugins/node-restriction.ts), run by the Registry on
// the decoded object for every write path. This no-op stays only until the REST gateway drops its call; delete it then.

/** @deprecated NodeRestriction runs in the admission chain; this does nothing. */
export function admitNodeRequest(..._ignored: unknown[]): Promise<void> {
  return Promise.resolve();
}
