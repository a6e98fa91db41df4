"""python -m samples.flask_web_app [--api | --emulator] [--port N]"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import List, Optional

from . import ApiSettings, WebAppSettings, create_api, create_app
from .serving import serving
from .settings import ConfigError

HOST = "localhost"


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m samples.flask_web_app",
        description=(
            "The msal Flask sample. Without options: the web app, configured from environment "
            "variables (see README.md)."
        ),
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--api", action="store_true", help="run the protected API instead")
    mode.add_argument(
        "--emulator", action="store_true", help="run msal-emulator, the API and the web app together"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=5000,
        help="port (default 5000; with --emulator the API takes the next one)",
    )
    return parser.parse_args(argv)


def run_forever(app, port: int, banner: str) -> None:
    with serving(app, "127.0.0.1", port):
        print(banner + "\n\nPress Ctrl-C to stop.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


def run_with_emulator(port: int) -> None:
    """The emulator, the API on port + 1 and the web app on port, until Ctrl-C."""
    from msal_emulator import Emulator

    from .emulated import emulator_api_settings, emulator_web_app_settings

    with Emulator() as emu, serving(create_api(emulator_api_settings(emu)), "127.0.0.1", port + 1) as api:
        api_url = "http://127.0.0.1:%d/api/me" % api.server_port
        alice = emu.user("alice")
        banner = [
            "msal-emulator at %s" % emu.base_url,
            "Protected API at %s" % api_url,
            "Open http://%s:%d/ and sign in as %s (password %s)."
            % (HOST, port, alice["username"], alice["password"]),
        ]
        run_forever(create_app(emulator_web_app_settings(emu, api_url)), port, "\n".join(banner))


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        if args.emulator:
            run_with_emulator(args.port)
        elif args.api:
            run_forever(
                create_api(ApiSettings.from_env()),
                args.port,
                "Protected API at http://%s:%d/api/me" % (HOST, args.port),
            )
        else:
            run_forever(
                create_app(WebAppSettings.from_env()), args.port, "Open http://%s:%d/" % (HOST, args.port)
            )
    except ConfigError as exc:
        print("error:", exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
