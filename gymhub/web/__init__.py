"""The HTTP adapter: what sits between the sockets and the handlers."""
