#!/usr/bin/env python3
"""Runs checkov offline on one folder and fails on any failed check of HIGH or CRITICAL severity.

Offline (no Prisma Cloud API key) checkov reports no severities: then every failed check counts as a failure.
Suppressions are allowed only with a written reason where they apply:
    Terraform   #checkov:skip=CKV_AWS_123:reason
    Kubernetes  metadata.annotations  checkov.io/skipN: CKV_K8S_12=reason
A suppression without a reason (or with a token reason) fails the gate as well.

usage: checkov_gate.py DIRECTORY terraform|kubernetes
"""

from __future__ import annotations

import json
import pathlib
import re
import subprocess
import sys

BLOCKING = {"HIGH", "CRITICAL"}
MIN_REASON = 20  # characters: a sentence, not "false positive"

TF_SKIP = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?$")
K8S_SKIP = re.compile(r"checkov\.io/skip\d+:\s*([A-Z0-9_]+)(?:=(.*))?$")


def suppressions(directory: pathlib.Path, framework: str) -> list[tuple[str, int, str, str]]:
    found = []
    pattern, suffixes = (TF_SKIP, {".tf"}) if framework == "terraform" else (K8S_SKIP, {".yaml", ".yml"})
    for path in sorted(directory.rglob("*")):
        if path.suffix not in suffixes or ".terraform" in path.parts:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = pattern.search(line.strip())
            if match:
                found.append((str(path), number, match.group(1), (match.group(2) or "").strip()))
    return found


def main() -> int:
    directory, framework = pathlib.Path(sys.argv[1]), sys.argv[2]
    proc = subprocess.run(
        ["checkov", "-d", str(directory), "--framework", framework, "--skip-download", "-o", "json"],
        capture_output=True,
        text=True,
    )
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        print(f"checkov produced no JSON (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
        return 1
    reports = report if isinstance(report, list) else [report]

    problems = []
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    for rep in reports:
        results = rep.get("results", {})
        counts["passed"] += len(results.get("passed_checks", []))
        counts["skipped"] += len(results.get("skipped_checks", []))
        for error in results.get("parsing_errors", []):
            problems.append(f"parse error: {error}")
        for check in results.get("failed_checks", []):
            counts["failed"] += 1
            severity = check.get("severity")
            if severity is None or str(severity).upper() in BLOCKING:
                problems.append(
                    f"{check['check_id']} ({severity or 'no severity offline'}) {check['resource']} "
                    f"{check['file_path']}:{check['file_line_range']}: {check['check_name']}"
                )
            else:
                print(f"note: {check['check_id']} ({severity}) {check['resource']}: {check['check_name']}")

    skips = suppressions(directory, framework)
    for path, line, check_id, reason in skips:
        if len(reason) < MIN_REASON:
            problems.append(f"suppression of {check_id} at {path}:{line} has no written reason")

    print(
        f"checkov {framework}: {counts['passed']} passed, {counts['failed']} failed, "
        f"{counts['skipped']} skipped, {len(skips)} suppression comments"
    )
    for problem in problems:
        print(f"  {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
