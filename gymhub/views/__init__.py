"""The API's JSON shapes of stored rows, as a given viewer may see them (no aiohttp here)."""
