"""smtp_gateway package."""
