// Placeholder: the garbage-collector controller is being written.
export {};
