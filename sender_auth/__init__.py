"""sender_auth package."""
