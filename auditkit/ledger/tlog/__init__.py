"""Standard transparency-log surfaces: C2SP tiles, tlog-proof files, the checkpoint file, witnesses."""
