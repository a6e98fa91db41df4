"""`msal-emulator`: run the emulator in the foreground and print how to reach it."""
from __future__ import annotations

import argparse
import shutil
import signal
import sys
import threading
from typing import List, Optional

from .server import Emulator


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="msal-emulator",
        description="A local emulator of the Microsoft identity platform (Entra ID v2.0).")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    parser.add_argument("--config", help="JSON file with tenants, users and apps")
    parser.add_argument("--write-ca", metavar="FILE", help="also copy the CA certificate to FILE")
    return parser.parse_args(argv)


def describe(emu: Emulator) -> str:
    """The banner: where it runs, what to trust, and the directory it serves."""
    lines = ["msal-emulator listening on %s" % emu.base_url,
             "CA certificate: %s" % emu.ca_path,
             "Tenant: %s (%s)" % (emu.tenant_id, emu.tenant_domain),
             "Authority: %s" % emu.authority(), "", "Apps:"]
    for app in emu.directory.apps:
        described = emu.app(app["name"])
        credential = ""
        if described.get("client_secret"):
            credential = "secret %s" % described["client_secret"]
        elif described.get("certificate_path"):
            credential = "certificate %s (thumbprint %s)" % (
                described["certificate_path"], described["certificate_thumbprint"])
        lines.append("  %-20s %s  %-12s %s" % (app["name"], app["client_id"],
                                               app["kind"], credential))
    lines += ["", "Users:"]
    for user in emu.directory.users:
        lines.append("  %-28s password %s" % (user["username"], user["password"]))
    return "\n".join(lines)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    emu = Emulator(config=args.config, port=args.port)
    emu.start()
    if args.write_ca:
        shutil.copyfile(emu.ca_path, args.write_ca)
    print(describe(emu), flush=True)
    print("\nPress Ctrl-C to stop.", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        emu.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
