"""Use cases: one module per way of getting a token. Each function takes the application's
:class:`~msal._flows.context.AppContext` and returns the documented dict (or None).

Layering, top down (a module imports only from the layers below it):

* the flows: ``silent``, ``client_credentials``, ``auth_code``, ``on_behalf_of``,
  ``refresh_token``, ``username_password``, ``device_code``, ``interactive`` (the auth code
  flow behind a loopback listener, the one flow built on another). No other flow imports a flow;
* the steps they share: ``cache_first`` (the cache, then one request per key at a time, then
  the fallback to a still valid cached token) and ``redeem`` (the token request every grant
  shares: endpoints, protocol client, telemetry headers, ``claims`` and ``client_info``, the
  ID token check, ``token_source``);
* ``context`` (configuration, services and shared state, no logic) and ``single_flight``;
* below: :mod:`msal._entra` (Microsoft rules, discovery), :mod:`msal.oauth2cli` (the
  protocol), :mod:`msal.token_cache` (storage).
"""
