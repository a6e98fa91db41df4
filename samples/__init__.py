"""Runnable samples that use msal the way applications do."""
