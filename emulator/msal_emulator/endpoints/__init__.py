"""Endpoint groups of the emulated identity platform, one module each."""
