// Helm-style chart rendering (being written).
export {};
