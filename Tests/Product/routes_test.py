"""The OpenAPI document matches the code: every path prefix the gateway routes (RouteTable.swift) has documented
operations, and every documented operation is routed — its request reaches a handler and is not answered with
the 404 of an unknown route ("no such endpoint" from the gateway, "Not Found" from a service's router).

`check(token)` runs against the gateway on 28080 with a registered user's token; returns lines, raises
AssertionError listing every mismatch.
"""
from __future__ import annotations

import json
import re

import harness as stack

ROOT = stack.ROOT
SPEC = ROOT / "Services" / "api-gateway" / "Public" / "openapi.json"
ROUTE_TABLE = ROOT / "Services" / "api-gateway" / "RouteTable.swift"
UNKNOWN_ROUTE_MESSAGES = {"no such endpoint", "not found"}
PLACEHOLDER_ID = "00000000-0000-4000-8000-000000000000"


def routed_prefixes() -> set[str]:
    source = ROUTE_TABLE.read_text(encoding="utf-8")
    prefixes = set(re.findall(r'matches\(\s*path\s*,\s*"(/v1/[^"]*)"\s*\)', source))
    prefixes |= set(re.findall(r'path\s*==\s*"(/v1/[^"]*)"', source))
    if not prefixes:
        raise AssertionError(f"found no routed paths in {ROUTE_TABLE.relative_to(ROOT)}: the scan no longer matches it")
    return prefixes


def check(token: str) -> list[str]:
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    paths = spec["paths"]
    problems = []
    for prefix in sorted(routed_prefixes()):
        if not any(path == prefix or path.startswith(prefix + "/") for path in paths):
            problems.append(f"the gateway routes {prefix} but the document has no path under it")
    checked = 0
    for path, operations in paths.items():
        for method in operations:
            if method.upper() not in {"GET", "POST", "PUT", "PATCH", "DELETE"} or path == "/v1/ws":
                continue
            concrete = re.sub(r"\{seq\}", "1", re.sub(r"\{emoji\}", "%F0%9F%91%8D", re.sub(r"\{(id|userId|conversationId)\}", PLACEHOLDER_ID, path)))
            body = {} if method.upper() in {"POST", "PATCH", "PUT"} else None
            status, _, answer = stack.api(method.upper(), concrete, body, token=token)
            message = ((answer or {}).get("error") or {}).get("message", "") if isinstance(answer, dict) else ""
            checked += 1
            if status == 404 and message.lower() in UNKNOWN_ROUTE_MESSAGES or status == 405:
                problems.append(f"{method.upper()} {path} is documented but not routed ({status} {message!r})")
    if problems:
        raise AssertionError("; ".join(problems))
    return [f"{checked} documented operations are routed; every routed prefix is documented"]
