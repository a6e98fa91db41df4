"""msal-emulator: a local emulator of the Microsoft identity platform (Entra ID v2.0).

from msal_emulator import Emulator
with Emulator() as emu:
    emu.authority(), emu.ca_path, emu.app("confidential-secret"), emu.user("alice")
"""

from .browser import SignInError, auth_response
from .errors import EntraError
from .server import Clock, Emulator

__all__ = ["Emulator", "Clock", "EntraError", "SignInError", "auth_response"]
__version__ = "0.1.0"
