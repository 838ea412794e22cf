"""The service's settings: one frozen `Settings` value, loaded and checked in config.settings.

A leaf: it imports nothing of blindcopy's own, so the composition root (blindcopy/) builds it
and the edges (api/, smtp_gateway/) may import its type without importing upward.
"""
