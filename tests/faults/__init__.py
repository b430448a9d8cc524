"""Fault injection: what happens to the data when things go wrong, shown for real."""
