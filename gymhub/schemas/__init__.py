"""Request and response shapes: msgspec Structs that validate on decode and feed the OpenAPI."""
