// Placeholder: the node-lifecycle controller is being written.
export {};
