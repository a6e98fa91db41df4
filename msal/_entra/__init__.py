"""Rules specific to the Microsoft identity platform (Entra ID, ADFS, B2C, CIAM)."""
