// Imports every controller file so each registers itself in the registry.
export {};
