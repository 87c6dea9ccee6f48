// Placeholder: the replicaset controller is being written.
export {};
