"""Managed identity internals: source detection, the wire of each source, Arc's key file and
Service Fabric's pinned certificate. The public face is :mod:`msal.managed_identity`."""
