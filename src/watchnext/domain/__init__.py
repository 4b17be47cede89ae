"""Domain models: plain data with validation, no I/O and no AWS."""
