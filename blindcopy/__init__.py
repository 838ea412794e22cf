"""blindcopy package."""
