// Placeholder: the cronjob controller is being written.
export {};
