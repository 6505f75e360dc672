// Fingerprints
