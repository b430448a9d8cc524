"""The media tree: layout, streaming writes, atomic placement, deletion, orphan sweep, stats."""
