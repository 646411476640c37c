"""Separate machines for tests: network namespaces joined to this one by a veth pair.

A `Host` is a network namespace of its own with one link to this machine: a /30 of
10.213.0.0/16 (our own addresses only), this side `.1`, the host's side `.2`, nothing
else routed. PostgreSQL, Redis, RabbitMQ and the web servers listen on loopback here, so
a host reaches them only through forwarders that listen on this side of its link
(`Host.reach`): cutting the link (`Host.cut`) cuts the host off from all of them, as a
pulled cable would. Processes started with `Host.popen` run inside the namespace;
`Host.crash` SIGKILLs every one of them at once (the machine dies).

Creating namespaces needs root and iproute2's `ip`; `unavailable()` says why not.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from urllib.parse import urlsplit, urlunsplit

PREFIX = "dataslot-"  # namespaces are named dataslot-<pid of the test process>-<index>
LOCK = "/run/lock/dataslot-hosts.lock"
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
IP = shutil.which("ip") or shutil.which("ip", path="/usr/sbin:/sbin") or "ip"  # root's PATH may lack sbin


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    out = subprocess.run([IP, *args], capture_output=True, text=True, timeout=30)
    if check and out.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {out.stderr.strip()}")
    return out


@functools.cache
def unavailable() -> str | None:
    """Why hosts cannot be made here (None when they can); leftovers of dead runs are removed."""
    if os.geteuid() != 0:
        return "network namespaces need root (ip netns add); run the tests as root"
    if IP == "ip":
        return "iproute2's `ip` is not installed (scripts/ensure-iproute2.sh installs it)"
    remove_leftovers()
    probe = f"{PREFIX}{os.getpid()}-probe"
    made = ip("netns", "add", probe, check=False)
    if made.returncode != 0:
        return f"cannot create a network namespace: {made.stderr.strip()}"
    ip("netns", "delete", probe, check=False)
    return None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_leftovers() -> None:
    """Delete the namespaces (and their processes) of test runs that died without cleaning up."""
    with _locked():
        for line in ip("netns", "list", check=False).stdout.splitlines():
            name = line.split()[0] if line.split() else ""
            match = re.fullmatch(rf"{PREFIX}(\d+)-\S+", name)
            if match and not alive(int(match.group(1))):
                _kill_namespace(name)
                ip("netns", "delete", name, check=False)
        # A host side left without its peer (a run that died between two `ip` calls).
        for link in re.findall(r"^\d+: (dsh\d+)[@:]", ip("-o", "link", "show", check=False).stdout, re.M):
            owner = _owner(link)
            if owner is None or not alive(owner):
                ip("link", "delete", link, check=False)
        for link in os.listdir("/run/dataslot-hosts") if os.path.isdir("/run/dataslot-hosts") else []:
            owner = _owner(link)
            if owner is None or not alive(owner):
                with contextlib.suppress(OSError):
                    os.remove(f"/run/dataslot-hosts/{link}")


def _owner(link: str) -> int | None:
    path = f"/run/dataslot-hosts/{link}"
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def _locked():
    os.makedirs(os.path.dirname(LOCK), exist_ok=True)
    with open(LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _namespace_pids(name: str) -> list[int]:
    return [int(p) for p in ip("netns", "pids", name, check=False).stdout.split()]


def _kill_namespace(name: str) -> list[int]:
    """SIGKILL every process in the namespace until none is left; returns the pids killed."""
    killed = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        pids = _namespace_pids(name)
        if not pids:
            break
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
        time.sleep(0.05)
    return killed


class Forwarder:
    """TCP forwarders (asyncio, on a thread of their own): listen on one address, connect
    to a loopback service. A forwarder does not care whether the link is up: a cut link
    simply stops packets, as it would between two machines."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.servers: list[asyncio.Server] = []
        self.writers: set[asyncio.StreamWriter] = set()
        self.thread = threading.Thread(target=self.loop.run_forever, name="forwarder", daemon=True)
        self.thread.start()

    def add(self, listen: tuple[str, int], target: tuple[str, int]) -> None:
        async def start():
            server = await asyncio.start_server(
                lambda r, w: self._pipe_both(r, w, target), listen[0], listen[1], reuse_address=True
            )
            self.servers.append(server)

        asyncio.run_coroutine_threadsafe(start(), self.loop).result(10)

    async def _pipe_both(self, reader, writer, target):
        try:
            up_reader, up_writer = await asyncio.open_connection(*target)
        except OSError:
            writer.close()
            return
        self.writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True)
        self.writers -= {writer, up_writer}

    @staticmethod
    async def _pipe(reader, writer):
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    def close(self) -> None:
        async def stop():
            for server in self.servers:
                server.close()
            for writer in list(self.writers):
                writer.transport.abort()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


class Host:
    """A machine of its own: a network namespace with one link to this one."""

    def __init__(self, label: str = "host"):
        reason = unavailable()
        if reason:
            raise RuntimeError(reason)
        self.label = label
        with _locked():
            used = {int(n) for n in re.findall(r"^\d+: dsh(\d+)[@:]", ip("-o", "link", "show").stdout, re.M)}
            self.index = next(i for i in range(1, 16384) if i not in used)
            self.name = f"{PREFIX}{os.getpid()}-{self.index}"
            self.outside_link, self.inside_link = f"dsh{self.index}", f"dsn{self.index}"
            net, offset = f"10.213.{self.index // 64}", (self.index % 64) * 4  # the index-th /30
            self.outside, self.inside = f"{net}.{offset + 1}", f"{net}.{offset + 2}"
            os.makedirs("/run/dataslot-hosts", exist_ok=True)
            with open(f"/run/dataslot-hosts/{self.outside_link}", "w") as f:
                f.write(str(os.getpid()))
            try:
                ip("netns", "add", self.name)
                ip("link", "add", self.outside_link, "type", "veth", "peer", "name", self.inside_link)
                ip("link", "set", self.inside_link, "netns", self.name)
                ip("addr", "add", f"{self.outside}/30", "dev", self.outside_link)
                ip("link", "set", self.outside_link, "up")
                ip("-n", self.name, "addr", "add", f"{self.inside}/30", "dev", self.inside_link)
                ip("-n", self.name, "link", "set", self.inside_link, "up")
                ip("-n", self.name, "link", "set", "lo", "up")
            except Exception:
                self._delete()
                raise
        self.forwarder = Forwarder()
        self.forwarded: set[int] = set()
        self.processes: list[subprocess.Popen] = []

    def reach(self, url: str) -> str:
        """The same URL as seen from this host: a loopback address becomes this side of the link."""
        parts = urlsplit(url)
        if parts.hostname not in LOOPBACK:
            raise ValueError(f"{url}: only loopback services are forwarded")
        port = parts.port or {"postgres": 5432, "redis": 6379, "amqp": 5672, "http": 80}[parts.scheme]
        if port not in self.forwarded:
            self.forwarder.add((self.outside, port), ("127.0.0.1", port))
            self.forwarded.add(port)
        userinfo = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
        return urlunsplit(parts._replace(netloc=f"{userinfo}{self.outside}:{port}"))

    def popen(self, argv: list[str], env: dict[str, str], **kwargs) -> subprocess.Popen:
        """Start a process on this host (`ip netns exec` execs it: the pid is the process's own)."""
        process = subprocess.Popen([IP, "netns", "exec", self.name, *argv], env=env, **kwargs)
        self.processes.append(process)
        return process

    def run(self, argv: list[str], **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run([IP, "netns", "exec", self.name, *argv], **kwargs)

    def pids(self) -> list[int]:
        return _namespace_pids(self.name)

    def crash(self) -> list[int]:
        """SIGKILL every process on this host at once; returns their pids."""
        killed = _kill_namespace(self.name)
        for process in self.processes:
            with contextlib.suppress(Exception):
                process.wait(5)
        return killed

    def cut(self) -> None:
        """Pull the cable: nothing passes between this host and this machine until `heal`."""
        ip("link", "set", self.outside_link, "down")

    def heal(self) -> None:
        ip("link", "set", self.outside_link, "up")

    def close(self) -> None:
        self.crash()
        self.forwarder.close()
        with _locked():
            self._delete()

    def _delete(self) -> None:
        ip("netns", "delete", self.name, check=False)
        ip("link", "delete", self.outside_link, check=False)  # gone with the namespace, unless never moved
        with contextlib.suppress(OSError):
            os.remove(f"/run/dataslot-hosts/{self.outside_link}")

    def __enter__(self) -> Host:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
