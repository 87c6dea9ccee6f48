// Placeholder: the plugin in this file is being written.
export {};
