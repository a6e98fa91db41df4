"""The token cache's parts: the schema, the indexes, the document and the subclass hooks.

:mod:`msal.token_cache` puts them together behind the public classes and their locking.
"""
