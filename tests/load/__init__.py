"""The load-and-soak test (marker `load`)."""
