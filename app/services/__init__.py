"""Services: the writes and the rules. They flush; the caller commits."""
