// Placeholder: the deployment controller is being written.
export {};
