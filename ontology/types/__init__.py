"""Value types: one module per kind of value, each parsing, checking and converting its values."""
