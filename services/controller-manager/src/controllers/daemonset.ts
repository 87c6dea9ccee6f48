// Placeholder: the daemonset controller is being written.
export {};
