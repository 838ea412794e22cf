"""store/models package."""
