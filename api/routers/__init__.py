"""One router per endpoint family; each parses parameters, runs one named query and shapes the
response."""
