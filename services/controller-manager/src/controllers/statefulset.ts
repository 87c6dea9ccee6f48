// Placeholder: the statefulset controller is being written.
export {};
