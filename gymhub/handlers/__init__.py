"""Thin HTTP and WebSocket handlers, one module per API area."""
