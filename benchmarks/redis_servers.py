"""Real redis-server processes on free loopback ports, for the tests, the figures and the benchmarks."""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
from typing import List, Optional, Sequence

REDIS_SERVER = shutil.which("redis-server")
REDIS_CLI = shutil.which("redis-cli")
SKIP_REASON = "redis-server is not installed (./dev test installs it where apt-get is available)"


def _installed(program: Optional[str], name: str) -> str:
    if program is None:
        raise RuntimeError("%s is not installed" % name)
    return program


def free_port(below: Optional[int] = None) -> int:
    """A free loopback port; ``below`` bounds it (a cluster node also uses port + 10000)."""
    while True:
        port = random.randint(20000, below) if below else 0
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            port = int(s.getsockname()[1])
        if not below or _is_free(port + 10000):
            return port


def _is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class RedisServer(object):
    """One redis-server; ``stop()`` kills it (SIGKILL, as a crash), ``start()`` brings it back on
    the same port and directory (with ``persist``, from its append-only file)."""

    def __init__(
        self,
        port: Optional[int] = None,
        password: Optional[str] = None,
        persist: bool = False,
        extra: Sequence[str] = (),
    ) -> None:
        self.port = port or free_port()
        self.password = password
        self.dir = tempfile.mkdtemp(prefix="redis-test-")
        self.args: List[str] = [
            _installed(REDIS_SERVER, "redis-server"),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            self.dir,
            "--save",
            "",
            "--daemonize",
            "no",
            "--logfile",
            os.path.join(self.dir, "redis.log"),
        ]
        self.args += ["--appendonly", "yes", "--appendfsync", "always"] if persist else ["--appendonly", "no"]
        if password:
            self.args += ["--requirepass", password]
        self.args += list(extra)
        self.process: Optional[subprocess.Popen[bytes]] = None

    @property
    def url(self) -> str:
        auth = ":%s@" % self.password if self.password else ""
        return "redis://%s127.0.0.1:%d/0" % (auth, self.port)

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError("redis-server exited: " + self.log())
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start: " + self.log())

    def log(self) -> str:
        try:
            with open(os.path.join(self.dir, "redis.log")) as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class RedisCluster(object):
    """Three cluster-enabled redis-server processes joined with ``redis-cli --cluster create``."""

    def __init__(self) -> None:
        cluster = [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            "--cluster-node-timeout",
            "2000",
        ]
        self.nodes = [RedisServer(port=free_port(below=55000), extra=cluster) for _ in range(3)]

    def start(self) -> RedisCluster:
        for node in self.nodes:
            node.start()
        subprocess.run(
            [_installed(REDIS_CLI, "redis-cli"), "--cluster", "create", "--cluster-yes"]
            + ["127.0.0.1:%d" % n.port for n in self.nodes],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            timeout=60,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            out = subprocess.run(
                [_installed(REDIS_CLI, "redis-cli"), "-p", str(self.nodes[0].port), "cluster", "info"],
                capture_output=True,
                text=True,
                timeout=10,
            ).stdout
            if "cluster_state:ok" in out:
                return self
            time.sleep(0.1)
        raise RuntimeError("the Redis cluster did not become ready")

    def close(self) -> None:
        for node in self.nodes:
            node.close()
