"""api/handlers package."""
