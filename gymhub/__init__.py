"""gymhub: the self-hosted coaching server for a small gym."""

__version__ = "0.1.0"
