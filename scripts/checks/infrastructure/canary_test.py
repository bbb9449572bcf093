#!/usr/bin/env python3
"""Runs infrastructure/k8s/canary.sh with kubectl and aws replaced by recorders, in three scenarios:

    healthy        the canary gets the image, then weights 20, 50 and 100 %, the stable track takes the image, and
                   the weights return to stable 100 %
    alarm          an alarm fires at 50 %: the weights return to stable 100 % at once, the canary gets the previous
                   image back, the stable track is never touched, the script fails
    stable-fails   the stable track does not take the release: it is rolled back (rollout undo), the weights return
                   to it, the canary gets the previous image, the script fails

Prints one line and exits 0 when every scenario behaves, else the problems.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "infrastructure" / "k8s" / "canary.sh"
NEW = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/chat-backend/api-gateway@sha256:" + "1" * 64
OLD = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/chat-backend/api-gateway@sha256:" + "0" * 64

FAKE = r'''#!/usr/bin/env python3
import json, os, sys
tool = os.path.basename(sys.argv[0])
with open(os.environ["RECORD"], "a") as f:
    f.write(json.dumps({"tool": tool, "argv": sys.argv[1:]}) + "\n")
args = sys.argv[1:]
if tool == "kubectl":
    if "get" in args:
        print(os.environ["FAKE_OLD_IMAGE"])
    elif "rollout" in args and "status" in args and "deployment/api-gateway" in args:
        sys.exit(int(os.environ.get("FAKE_STABLE_FAILS", "0")))
elif tool == "aws":
    # The alarm fires once the canary holds FAKE_ALARM_AT percent.
    weights = [line for line in open(os.environ["RECORD"]) if "actions.gateway" in line]
    current = json.loads(weights[-1])["argv"][-1] if weights else ""
    at = os.environ.get("FAKE_ALARM_AT")
    print(f"chat-production-api-gateway-p95-latency" if at and f'"api-gateway-canary","servicePort":"8080","weight":{at}' in current else "None")
'''


def weight_of(entry: dict) -> int | None:
    match = re.search(r'"api-gateway-canary","servicePort":"8080","weight":(\d+)', entry["argv"][-1])
    return int(match.group(1)) if match else None


def run(**fake: str) -> tuple[int, list[dict], str]:
    temp = pathlib.Path(tempfile.mkdtemp(prefix="canary-test-"))
    for tool in ("kubectl", "aws"):
        (temp / tool).write_text(FAKE)
        (temp / tool).chmod(0o755)
    record = temp / "record.jsonl"
    record.touch()
    env = {"PATH": f"{temp}:{os.environ['PATH']}", "RECORD": str(record), "FAKE_OLD_IMAGE": OLD,
           "ALARMS": "chat-production-api-gateway-p95-latency,chat-production-api-gateway-5xx-rate",
           "STEP_SECONDS": "0", "POLL_SECONDS": "0", **fake}
    result = subprocess.run(["bash", str(SCRIPT), NEW], env=env, capture_output=True, text=True, timeout=60)
    entries = [json.loads(line) for line in record.read_text().splitlines()]
    return result.returncode, entries, result.stdout + result.stderr


def images(entries: list[dict], deployment: str) -> list[str]:
    return [e["argv"][-1].split("=", 1)[1] for e in entries
            if e["tool"] == "kubectl" and "set" in e["argv"] and f"deployment/{deployment}" in e["argv"]]


def main() -> int:
    problems = []

    code, entries, output = run()
    weights = [weight_of(e) for e in entries if e["tool"] == "kubectl" and "annotate" in e["argv"]]
    if code != 0 or weights != [20, 50, 100, 0] or images(entries, "api-gateway-canary") != [NEW] \
            or images(entries, "api-gateway") != [NEW]:
        problems.append(f"healthy: exit {code}, weights {weights}, canary {images(entries, 'api-gateway-canary')}, "
                        f"stable {images(entries, 'api-gateway')}\n{output}")
    if not any(e["tool"] == "aws" and "--state-value" in e["argv"] and "ALARM" in e["argv"] for e in entries):
        problems.append("healthy: the alarms were never read")

    code, entries, output = run(FAKE_ALARM_AT="50")
    weights = [weight_of(e) for e in entries if e["tool"] == "kubectl" and "annotate" in e["argv"]]
    if code == 0 or weights != [20, 50, 0] or images(entries, "api-gateway-canary") != [NEW, OLD] \
            or images(entries, "api-gateway"):
        problems.append(f"alarm: exit {code}, weights {weights}, canary {images(entries, 'api-gateway-canary')}, "
                        f"stable {images(entries, 'api-gateway')}\n{output}")

    code, entries, output = run(FAKE_STABLE_FAILS="1")
    weights = [weight_of(e) for e in entries if e["tool"] == "kubectl" and "annotate" in e["argv"]]
    undone = any(e["tool"] == "kubectl" and "undo" in e["argv"] and "deployment/api-gateway" in e["argv"] for e in entries)
    if code == 0 or weights != [20, 50, 100, 0] or not undone or images(entries, "api-gateway-canary") != [NEW, OLD]:
        problems.append(f"stable-fails: exit {code}, weights {weights}, undone {undone}\n{output}")

    if problems:
        print("\n".join(problems))
        return 1
    print("canary.sh: 20/50/100 % then promoted; an alarm at 50 % or a failed promotion sends all traffic back to stable")
    return 0


if __name__ == "__main__":
    sys.exit(main())
