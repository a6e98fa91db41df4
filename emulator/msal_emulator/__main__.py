"""`msal-emulator`: run the emulator in the foreground and print how to reach it."""

from __future__ import annotations

import argparse
import errno
import json
import logging
import shutil
import signal
import sys
import threading
from typing import Any, List, Optional

from .config import ConfigError
from .server import Emulator


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="msal-emulator",
        description="A local emulator of the Microsoft identity platform (Entra ID v2.0).",
    )
    parser.add_argument("--port", type=int, default=0, help="HTTPS port (default: a free one)")
    parser.add_argument(
        "--proxy-port",
        type=int,
        default=0,
        help="port of the HTTPS proxy for unmodified apps (default: a free one)",
    )
    parser.add_argument(
        "--upstream",
        action="append",
        default=[],
        metavar="PATTERN",
        help="let the proxy tunnel to these other hosts (glob, e.g. "
        "'graph.microsoft.com' or '*'); repeatable. Default: none, offline",
    )
    parser.add_argument(
        "--config",
        help="JSON file of tenants, users and apps to add to the "
        "built-in directory (see the README for the schema)",
    )
    parser.add_argument(
        "--empty", action="store_true", help="start from an empty directory instead of the built-in one"
    )
    parser.add_argument(
        "--state-dir", metavar="DIR", help="keep the CA and certificates here across restarts"
    )
    parser.add_argument("--write-ca", metavar="FILE", help="also copy the CA certificate to FILE")
    parser.add_argument(
        "--print-config",
        action="store_true",
        help="print the directory (tenants, apps, secrets, certificates, users) as JSON and exit",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log request and response fields too (secrets masked)"
    )
    return parser.parse_args(argv)


def describe(emu: Emulator, write_ca: Optional[str] = None) -> str:
    """The banner: where it runs, what to trust, and the directory it serves."""
    lines = ["msal-emulator listening on %s" % emu.base_url]
    if emu.proxy_url:
        lines.append("HTTPS proxy: %s (HTTPS_PROXY for unmodified apps)" % emu.proxy_url)
    lines.append("CA certificate: %s" % emu.ca_path)
    if write_ca:
        lines.append("CA certificate copied to: %s" % write_ca)
    lines += [
        "Tenant: %s (%s)" % (emu.tenant_id, emu.tenant_domain),
        "Authority: %s" % emu.authority(),
        "",
        "Apps:",
    ]
    for app in emu.directory.apps:
        described = emu.app(app["name"])
        credential = ""
        if described.get("client_secret"):
            credential = "secret %s" % described["client_secret"]
        elif described.get("certificate_path"):
            credential = "certificate %s (thumbprint %s)" % (
                described["certificate_path"],
                described["certificate_thumbprint"],
            )
        lines.append("  %-20s %s  %-12s %s" % (app["name"], app["client_id"], app["kind"], credential))
    lines += ["", "Users:"]
    for user in emu.directory.users:
        lines.append("  %-28s password %s" % (user["username"], user["password"]))
    if emu.proxy_url:
        lines += ["", "Run an app written for login.microsoftonline.com unchanged with:"]
        lines += [
            "  export %s=%s" % item for item in emu.proxy_environment().items() if item[0] != "https_proxy"
        ]
    return "\n".join(lines)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _log_to_console(verbose: bool) -> None:
    """One line per request on stdout (the request log); bodies too with -v."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    logger = logging.getLogger("msal_emulator")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    logger.propagate = False


def _fail(text: str) -> int:
    print("msal-emulator: error: %s" % text, file=sys.stderr, flush=True)
    return 2


def _start(emu: Emulator, args: argparse.Namespace) -> Optional[str]:
    """Start listening; the reason when a port cannot be had."""
    try:
        emu.start()
    except OSError as exc:
        emu.close()
        if exc.errno == errno.EADDRINUSE:
            return "%s; stop what uses it or choose another port (0 picks a free one)" % exc.strerror
        return "cannot listen on 127.0.0.1: %s" % (exc.strerror or exc)
    return None


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        emu = Emulator(
            config=args.config,
            port=args.port,
            proxy_port=args.proxy_port,
            upstream=[p for item in args.upstream for p in item.split(",") if p],
            state_dir=args.state_dir,
            builtin=False if args.empty else None,
        )
    except ConfigError as exc:
        return _fail("bad configuration: %s" % exc)
    if args.print_config:
        print(json.dumps(emu.describe_directory(), indent=2), flush=True)
        emu.close()
        return 0
    problem = _start(emu, args)
    if problem:
        return _fail(problem)
    if args.write_ca:
        shutil.copyfile(emu.ca_path, args.write_ca)
    _log_to_console(args.verbose)
    print(describe(emu, args.write_ca), flush=True)
    print("\nPress Ctrl-C to stop.", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        served = len(emu.requests)
        emu.close()
        print("msal-emulator stopped (%d requests served)" % served, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
