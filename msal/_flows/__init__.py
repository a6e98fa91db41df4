"""Use cases: one module per way of getting a token. Each function takes the application's
:class:`~msal._flows.context.AppContext` and returns the documented dict (or None)."""
