"""Use cases: one write transaction and its notifications each, typed outcomes, no aiohttp."""
