// The cluster PKI (being written).
export {};
