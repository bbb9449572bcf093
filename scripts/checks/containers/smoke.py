#!/usr/bin/env python3
"""Starts each release binary as its image would, and probes it with the image's health check.

    smoke.py BINARY...

Each binary is stripped (as the Dockerfile's builder stage does) into a temporary folder and
started on a free loopback port, with every backing service pointed at a closed port: the
liveness check must pass without them. Then the HEALTHCHECK command of
docker/Dockerfiles/service.Dockerfile must succeed within 15 s, and SIGTERM (the image's
STOPSIGNAL) must end the process cleanly within 10 s.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import static_checks  # noqa: E402

CLOSED = "127.0.0.1:9"  # discard port: nothing listens there


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    command = static_checks.dockerfile_healthcheck(static_checks.ROOT / "docker/Dockerfiles/service.Dockerfile")
    problems = []
    with tempfile.TemporaryDirectory(prefix="containers-smoke-") as temp:
        running = []
        for binary in map(Path, sys.argv[1:]):
            stripped = Path(temp) / binary.name
            shutil.copy2(binary, stripped)
            subprocess.run(["strip", str(stripped)], check=True)
            port = free_port()
            environment = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "CHAT_HTTP_HOST": "127.0.0.1",
                "CHAT_HTTP_PORT": str(port),
                "CHAT_LOG_LEVEL": "warning",
                "CHAT_POSTGRES_URL": f"postgresql://chat:chat@{CLOSED}/none?connect_timeout=1",
                "CHAT_MONGO_URI": f"mongodb://{CLOSED}/none?serverSelectionTimeoutMS=500",
                "CHAT_KAFKA_BROKERS": CLOSED,
                "CHAT_REDIS_NODES": CLOSED,
                "CHAT_S3_ENDPOINT": f"http://{CLOSED}",
                "CHAT_UPSTREAM_AUTH": f"http://{CLOSED}",
                "CHAT_UPSTREAM_USER": f"http://{CLOSED}",
                "CHAT_UPSTREAM_CHAT": f"http://{CLOSED}",
                "CHAT_UPSTREAM_NOTIFICATION": f"http://{CLOSED}",
            }
            log = open(Path(temp) / f"{binary.name}.log", "w+")
            process = subprocess.Popen([str(stripped)], env=environment, stdout=log, stderr=subprocess.STDOUT)
            running.append((binary.name, port, process, log))

        for name, port, process, log in running:
            deadline = time.monotonic() + 15
            healthy = False
            while time.monotonic() < deadline and process.poll() is None:
                probe = subprocess.run(command, env={"PATH": os.environ["PATH"], "CHAT_HTTP_PORT": str(port)},
                                       capture_output=True, timeout=10)
                if probe.returncode == 0:
                    healthy = True
                    break
                time.sleep(0.25)
            if not healthy:
                problems.append(f"{name}: the health check did not pass within 15 s (exit status {process.poll()})")
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    status = process.wait(timeout=10)
                    if status != 0:
                        problems.append(f"{name}: exit status {status} after SIGTERM")
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
                    problems.append(f"{name}: still running 10 s after SIGTERM")
            if problems and problems[-1].startswith(name):
                log.seek(0)
                problems.append("  its output: " + " | ".join(log.read().splitlines()[-5:]))
            log.close()
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print(f"{len(running)} stripped binaries answer the health check and stop on SIGTERM")
    return 0


if __name__ == "__main__":
    sys.exit(main())
