"""Finding packages: one cataloger per ecosystem over a squashed image view or a directory."""
