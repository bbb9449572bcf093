"""Runs the five service binaries on ports 28080–28084 against the local stack, for the product checks.

The binaries come from $CHAT_BIN_DIR (the debug build's bin dir), the backing servers' addresses from the stack's
environment file (.local/stack.env, or $CHAT_STACK_ENV). Each service logs to .local/product/<service>.log. A test
can stop, start or restart one service (the browser test restarts chat) while the others keep running.

    with Harness.from_environment() as harness:
        harness.start_all()
        harness.restart("chat")

`python3 Tests/Product/harness.py` starts everything, prints the gateway URL and runs until interrupted.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SERVICES = ["auth", "user", "chat", "notification", "api-gateway"]
PORTS = {"api-gateway": 28080, "auth": 28081, "user": 28082, "chat": 28083, "notification": 28084}
ADMIN_PORT = 29090
GATEWAY = f"http://127.0.0.1:{PORTS['api-gateway']}"


class HarnessError(RuntimeError):
    pass


def read_env_file(path: Path) -> dict[str, str]:
    """The variables `set -a; . path` exports, read by the shell itself so that quoting means what it means there."""
    if not path.is_file():
        raise HarnessError(f"{path} does not exist: start the local stack first (scripts/stack.sh start)")
    script = 'set -a; . "$1"; env -0'
    output = subprocess.run(["bash", "-c", script, "bash", str(path)], check=True, capture_output=True,
                            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")}).stdout
    variables = {}
    for entry in output.split(b"\0"):
        if b"=" in entry:
            key, value = entry.split(b"=", 1)
            variables[key.decode()] = value.decode()
    for noise in ("PWD", "OLDPWD", "SHLVL", "_", "PATH"):
        variables.pop(noise, None)
    return variables


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Harness:
    def __init__(self, bin_dir: Path, stack_env: Path, log_dir: Path):
        self.bin_dir = bin_dir
        self.stack_env = stack_env
        self.log_dir = log_dir
        self.processes: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, object] = {}
        self.base_env: dict[str, str] | None = None

    @classmethod
    def from_environment(cls) -> "Harness":
        bin_dir = Path(os.environ.get("CHAT_BIN_DIR") or ROOT / ".build" / "debug")
        stack_env = Path(os.environ.get("CHAT_STACK_ENV") or ROOT / ".local" / "stack.env")
        return cls(bin_dir, stack_env, ROOT / ".local" / "product")

    # -- environment ------------------------------------------------------------------------------------------------

    def environment(self, service: str) -> dict[str, str]:
        if self.base_env is None:
            self.base_env = read_env_file(self.stack_env)
        env = dict(os.environ)
        env.update(self.base_env)
        env.update({
            "CHAT_HTTP_HOST": "127.0.0.1",
            "CHAT_HTTP_PORT": str(PORTS[service]),
            "CHAT_PUSH_ALLOW_PRIVATE_TARGETS": "true",
            "CHAT_BCRYPT_COST": "4",
            "CHAT_REGISTER_LIMIT_PER_ADDRESS": "1000000",
            # Generous: schemathesis and two browsers share one address and a few users.
            "CHAT_RATE_LIMIT_PER_USER": "100000",
            "CHAT_RATE_LIMIT_PER_ADDRESS": "100000",
            "CHAT_LOGIN_FAILURE_LIMIT": "10000",
            "CHAT_WEB_ROOT": str(ROOT / "Services" / "api-gateway" / "Public"),
            # A consumer group of its own, so these instances never take partitions from another run's.
            "CHAT_NOTIFICATION_CONSUMER_GROUP": "notification-product",
            "CHAT_NOTIFICATION_OFFSET_RESET": "latest",
            "MONGOC_DISABLE_SHM": "1",
            # Where the services reach each other (the gateway all four; chat also auth and user).
            "CHAT_UPSTREAM_AUTH": f"http://127.0.0.1:{PORTS['auth']}",
            "CHAT_UPSTREAM_USER": f"http://127.0.0.1:{PORTS['user']}",
            "CHAT_UPSTREAM_CHAT": f"http://127.0.0.1:{PORTS['chat']}",
            "CHAT_UPSTREAM_NOTIFICATION": f"http://127.0.0.1:{PORTS['notification']}",
        })
        if service == "api-gateway":
            env["CHAT_ADMIN_PORT"] = str(ADMIN_PORT)
        return env

    # -- processes --------------------------------------------------------------------------------------------------

    def start(self, service: str, timeout: float = 90) -> None:
        if service in self.processes and self.processes[service].poll() is None:
            return
        binary = self.bin_dir / service
        if not os.access(binary, os.X_OK):
            raise HarnessError(f"{binary} is missing: build first (swift build) or set CHAT_BIN_DIR")
        ports = [PORTS[service]] + ([ADMIN_PORT] if service == "api-gateway" else [])
        for port in ports:
            if not self._wait_port_free(port, 10):
                raise HarnessError(f"port {port} for {service} is taken by another process")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{service}.log", "ab")
        log.write(f"--- harness: starting {service} at {time.strftime('%H:%M:%S')}\n".encode())
        log.flush()
        self.logs[service] = log
        self.processes[service] = subprocess.Popen(
            [str(binary)], cwd=ROOT, env=self.environment(service), stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        self.wait_ready(service, timeout)

    def wait_ready(self, service: str, timeout: float) -> None:
        url = f"http://127.0.0.1:{PORTS[service]}/ready"
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            process = self.processes[service]
            if process.poll() is not None:
                raise HarnessError(f"{service} exited with {process.returncode} while starting; see {self.log_dir}/{service}.log")
            try:
                with urllib.request.urlopen(url, timeout=3) as response:
                    if response.status == 200:
                        return
            except urllib.error.HTTPError as error:
                last = f"{error.code} {error.read()[:300].decode(errors='replace')}"
            except (urllib.error.URLError, OSError) as error:
                last = str(error)
            time.sleep(0.25)
        raise HarnessError(f"{service} not ready after {timeout:.0f} s: {last}")

    def stop(self, service: str, timeout: float = 20) -> None:
        process = self.processes.pop(service, None)
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        log = self.logs.pop(service, None)
        if log:
            log.close()

    def restart(self, service: str) -> None:
        """SIGTERM (a graceful stop: chat closes its WebSockets), then a new process, ready again."""
        self.stop(service)
        self.start(service)

    def start_all(self) -> None:
        for service in SERVICES:
            self.start(service)

    def stop_all(self) -> None:
        for service in reversed(SERVICES):
            self.stop(service)

    def __enter__(self) -> "Harness":
        return self

    def __exit__(self, *exc) -> None:
        self.stop_all()

    @staticmethod
    def _wait_port_free(port: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not port_is_free(port):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)
        return True


# -- small HTTP helpers for the checks ------------------------------------------------------------------------------

def api(method: str, path: str, body=None, token: str | None = None, base: str = GATEWAY):
    """(status, headers, parsed JSON or None) of one gateway call."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw, status, headers = response.read(), response.status, response.headers
    except urllib.error.HTTPError as error:
        raw, status, headers = error.read(), error.code, error.headers
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = None
    return status, headers, parsed


def register(prefix: str, password: str = "product-check-pw") -> dict:
    """A new user (`{user, accessToken, refreshToken, expiresIn}`) with a unique name starting with `prefix`."""
    username = f"{prefix}{int(time.time() * 1000) % 10**10}{os.getpid() % 1000}"[:32]
    status, _, body = api("POST", "/v1/auth/register", {"username": username, "password": password, "displayName": prefix})
    if status != 201:
        raise HarnessError(f"register {username}: {status} {body}")
    body["password"] = password
    return body


if __name__ == "__main__":
    harness = Harness.from_environment()
    try:
        harness.start_all()
        print(f"harness: all five services ready; gateway {GATEWAY} (Ctrl-C stops them)", flush=True)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    except HarnessError as error:
        print(f"harness: {error}", file=sys.stderr)
        sys.exit(1)
    finally:
        harness.stop_all()
