#!/usr/bin/env python3
"""Generates docker/Dockerfiles/<service>.Dockerfile from docker/Dockerfiles/service.Dockerfile.

Each per-service file is the template with the defaults of `ARG SERVICE` and `ARG SERVICE_PORT`
set to that service, a header naming the template, and at the template's SERVICE-SPECIFIC mark the
lines of ADDITIONS for that service (none for most). Nothing else may differ, so the build steps
exist once.

    dockerfiles.py --write   regenerate the five files
    dockerfiles.py --check   exit 1 (naming the files) when one is missing or differs
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DOCKERFILES = ROOT / "docker" / "Dockerfiles"
TEMPLATE = DOCKERFILES / "service.Dockerfile"

# The executable products of Package.swift and their default ports (ServiceName.swift).
SERVICES: dict[str, int] = {
    "api-gateway": 8080,
    "auth": 8081,
    "user": 8082,
    "chat": 8083,
    "notification": 8084,
}

# The template's line that a service's own additions replace (and that the others drop).
MARK = "# SERVICE-SPECIFIC: dockerfiles.py puts what only this service's image carries here (nothing in the template).\n"

# Lines only one image carries, with the reason beside them.
ADDITIONS: dict[str, str] = {
    "api-gateway": """\
# api-gateway only: the web client (Services/api-gateway/Public: index.html, JS modules, CSS,
# openapi.json), served at / from CHAT_WEB_ROOT, and the admin listener (/metrics and the
# detailed /ready on CHAT_ADMIN_PORT, which only the VPC reaches; the public port keeps /health
# and a bare /ready). The files stay root's and read-only.
COPY Services/api-gateway/Public/ /srv/chat/public/
ENV CHAT_WEB_ROOT=/srv/chat/public \\
    CHAT_ADMIN_HOST=0.0.0.0 \\
    CHAT_ADMIN_PORT=9090
EXPOSE 9090
""",
}

HEADER = """\
# syntax=docker/dockerfile:1
#
# GENERATED from docker/Dockerfiles/service.Dockerfile for the `{service}` service: edit the
# template, then run `python3 scripts/checks/containers/dockerfiles.py --write`.
#
#   docker build -f docker/Dockerfiles/{service}.Dockerfile -t {service} .
"""


def render(template: str, service: str, port: int) -> str:
    """The template with its header replaced and the two ARG defaults set to `service`."""
    # The template's header is its leading comment block (up to the first blank line after it).
    body = template.split("\n\n", 1)[1]
    body, n_service = re.subn(r"^ARG SERVICE=.*$", f"ARG SERVICE={service}", body, count=1, flags=re.M)
    body, n_port = re.subn(r"^ARG SERVICE_PORT=.*$", f"ARG SERVICE_PORT={port}", body, count=1, flags=re.M)
    if n_service != 1 or n_port != 1:
        raise SystemExit(f"{TEMPLATE}: expected one `ARG SERVICE=` and one `ARG SERVICE_PORT=` line")
    if body.count(MARK) != 1:
        raise SystemExit(f"{TEMPLATE}: expected the SERVICE-SPECIFIC mark once")
    addition = ADDITIONS.get(service)
    body = body.replace(MARK, addition) if addition else body.replace(MARK + "\n", "")
    return HEADER.format(service=service) + "\n" + body


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--check", action="store_true")
    args = parser.parse_args()

    template = TEMPLATE.read_text()
    stale = []
    for service, port in SERVICES.items():
        path = DOCKERFILES / f"{service}.Dockerfile"
        expected = render(template, service, port)
        if args.write:
            if not path.exists() or path.read_text() != expected:
                path.write_text(expected)
                print(f"wrote {path.relative_to(ROOT)}")
        elif not path.exists() or path.read_text() != expected:
            stale.append(str(path.relative_to(ROOT)))
    if stale:
        print("differ from the template (run dockerfiles.py --write): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
