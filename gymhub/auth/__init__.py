"""Authentication and the access policy: passwords, tokens, sessions, who may do what."""
