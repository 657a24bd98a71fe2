"""Export bundles for auditors, and the standalone verifier shipped inside each bundle."""
