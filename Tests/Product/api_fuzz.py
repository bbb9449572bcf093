"""schemathesis against the running gateway, over every operation of the OpenAPI document.

A registered user's bearer token authenticates every request. Before the run, the user gets something to work
on — a direct conversation and a group with another user, a message in each — and the operations that take
those ids get them as parameters (with links in the document, the stateful phase finds others), so requests
reach the services' logic instead of stopping at 404. Logout revokes the token it is called with, so it runs in
a second pass with a token of its own.

Passes when there are 0 server errors (5xx) and 0 responses that violate the document (status code, content
type, headers, body schema). Prints a summary; the full output is in .local/product/schemathesis-*.log.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import harness as stack

ROOT = stack.ROOT
SPEC = ROOT / "Services" / "api-gateway" / "Public" / "openapi.json"
OUT = ROOT / ".local" / "product"
CHECKS = ",".join([
    "not_a_server_error", "status_code_conformance", "content_type_conformance", "response_headers_conformance",
    "response_schema_conformance",
])
MAX_EXAMPLES = os.environ.get("CHAT_FUZZ_MAX_EXAMPLES", "8")
# Seconds for the main pass (fuzzing and stateful testing repeat until it is spent) and for logout's.
MAX_TIME = os.environ.get("CHAT_FUZZ_MAX_TIME", "90")
LOGOUT_MAX_TIME = "15"


def seed() -> dict:
    """A user with a direct conversation, a group and a message in each; returns the ids the config needs."""
    me = stack.register("fuzz")
    other = stack.register("fuzzpeer")
    token = me["accessToken"]

    def call(method, path, body=None, expect=(200, 201)):
        status, _, answer = stack.api(method, path, body, token=token)
        if status not in expect:
            raise RuntimeError(f"seeding: {method} {path} answered {status} {answer}")
        return answer

    direct = call("POST", "/v1/conversations", {"type": "direct", "memberId": other["user"]["id"]})
    group = call("POST", "/v1/conversations", {"type": "group", "title": "fuzzing", "memberIds": [other["user"]["id"]]})
    for conversation in (direct, group):
        call("POST", f"/v1/conversations/{conversation['id']}/messages",
             {"clientMessageId": f"seed-{time.time()}", "body": "seeded message"})
    attachment = call("POST", "/v1/attachments", {"conversationId": group["id"], "fileName": "seed.txt",
                                                   "contentType": "text/plain", "size": 4})
    return {"token": token, "me": me["user"]["id"], "other": other["user"]["id"], "direct": direct["id"],
            "group": group["id"], "attachment": attachment["attachment"]["id"]}


def config(ids: dict) -> str:
    """schemathesis.toml: real ids for the operations that take them."""
    def operation(operation_id: str, **parameters) -> str:
        values = ", ".join(f'"{key}" = {json.dumps(value)}' for key, value in parameters.items())
        return f'[[operations]]\ninclude-operation-id = "{operation_id}"\nparameters = {{ {values} }}\n'

    group, other = ids["group"], ids["other"]
    blocks = [
        operation("getConversation", **{"path.id": group}),
        operation("renameConversation", **{"path.id": group}),
        operation("addMembers", **{"path.id": group}),
        operation("removeMember", **{"path.id": group, "path.userId": other}),
        operation("markConversationRead", **{"path.id": group}),
        operation("listMessages", **{"path.id": group}),
        operation("sendMessage", **{"path.id": ids["direct"]}),
        operation("editMessage", **{"path.id": ids["direct"], "path.seq": 1}),
        operation("deleteMessage", **{"path.id": group, "path.seq": 1}),
        operation("addReaction", **{"path.id": ids["direct"], "path.seq": 1}),
        operation("removeReaction", **{"path.id": ids["direct"], "path.seq": 1}),
        operation("getAttachment", **{"path.id": ids["attachment"]}),
        operation("getUser", **{"path.id": other}),
        operation("getPresence", **{"path.id": other}),
        operation("addContact", **{"path.userId": other}),
        operation("removeContact", **{"path.userId": other}),
        operation("blockUser", **{"path.userId": other}),
        operation("unblockUser", **{"path.userId": other}),
        operation("muteConversation", **{"path.conversationId": group}),
        operation("unmuteConversation", **{"path.conversationId": group}),
    ]
    return "\n".join(blocks)


def run_schemathesis(name: str, token: str, config_file: Path | None, selection: list[str], max_time: str) -> tuple[int, str, dict]:
    """Runs `st run`; returns (exit code, output, parsed JSON report)."""
    report_dir = OUT / f"schemathesis-{name}"
    report_dir.mkdir(parents=True, exist_ok=True)
    for old in report_dir.glob("*.json"):
        old.unlink()
    command = [
        sys.executable, "-m", "schemathesis.cli", *(["--config-file", str(config_file)] if config_file else []), "run", str(SPEC),
        "--url", stack.GATEWAY, "--header", f"Authorization: Bearer {token}", "--checks", CHECKS,
        "--max-examples", MAX_EXAMPLES, "--max-time", max_time, "--seed", "1", "--no-color",
        "--workers", "1", "--generation-database", "none", "--report", "json", "--report-dir", str(report_dir),
        "--output-truncate", "false", *selection,
    ]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=int(max_time) * 2 + 120)
    output = completed.stdout + completed.stderr
    (OUT / f"schemathesis-{name}.log").write_text(output)
    reports = sorted(report_dir.glob("*.json"))
    report = json.loads(reports[-1].read_text()) if reports else {}
    return completed.returncode, output, report


def summarize(name: str, code: int, output: str, report: dict) -> tuple[bool, list[str]]:
    lines = []
    failures = report.get("failures") or []
    errors = report.get("errors") or []
    server_errors = sum(f["count"] for f in failures if f.get("code") == "ST101")
    violations = sum(f["count"] for f in failures if f.get("code") != "ST101")
    cases = re.search(r"(\d+) generated", output)
    generated = cases.group(1) if cases else "0"
    lines.append(f"{name}: {generated} test cases, {server_errors} server errors (5xx), {violations} responses "
                 f"violating the document, {sum(e['count'] for e in errors)} errors; exit {code}")
    for failure in failures:
        lines.append(f"  {failure['code']} {failure['title']} ×{failure['count']}: {', '.join(failure['operations'])}")
    for error in errors:
        lines.append(f"  error: {error['title']} ×{error['count']}")
    if not report:
        lines.append("  (no JSON report: schemathesis did not finish)")
    ok = bool(report) and code == 0 and not failures and not errors and generated != "0"
    return ok, lines


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        ids = seed()
    except Exception as error:  # noqa: BLE001 - reported as the failure
        print(f"could not prepare the run: {error}")
        return 1
    config_file = OUT / "schemathesis.toml"
    config_file.write_text(config(ids))
    passed = True
    for name, token, configuration, selection, max_time in [
        ("operations", ids["token"], config_file, ["--exclude-operation-id", "logout"], MAX_TIME),
        # One operation has no links to follow: no stateful phase (and no ids to supply).
        ("logout", stack.register("fuzzlogout")["accessToken"], None,
         ["--include-operation-id", "logout", "--phases", "examples,coverage,fuzzing"], LOGOUT_MAX_TIME),
    ]:
        code, output, report = run_schemathesis(name, token, configuration, selection, max_time)
        ok, lines = summarize(name, code, output, report)
        passed = passed and ok
        print("\n".join(lines))
    print(f"details: .local/product/schemathesis-operations.log, .local/product/schemathesis-logout.log")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
