"""store/migrations/versions package."""
