// Placeholder: the job controller is being written.
export {};
