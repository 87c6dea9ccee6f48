// Placeholder: the namespace controller is being written.
export {};
