"""Small scripts that derive packaged policies from public data sets."""
