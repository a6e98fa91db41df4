"""The library's name as it reports itself to the identity provider (``x-client-sku``)."""

SKU = "MSAL.Python"
