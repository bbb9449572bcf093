#!/usr/bin/env python3
"""Fails the build when a pushed image has a CRITICAL finding that the allow-list does not excuse.

    image_scan_gate.py --namespace chat-backend \\
        --tag <image tag> --allowlist infrastructure/codebuild/scan-allowlist.json SERVICE...

For each image <namespace>/<service>:<tag> it waits for ECR's scan (`aws ecr wait image-scan-complete`; the
repositories scan on push) and reads `aws ecr describe-image-scan-findings`, both basic findings and enhanced
(Inspector) ones. A CRITICAL finding passes only when an allow-list entry names its vulnerability id, covers the
service ("*" or its name) and has not expired. Prints one line per image and per finding, exits 1 on a blocking one.

The allow-list (JSON): {"allow": [{"id": "CVE-2024-12345", "services": ["*"], "expires": "2027-01-31",
"reason": "why it cannot be exploited here, or when the fix lands"}]}. Every entry needs all four; an expired entry
excuses nothing (and is reported), so exceptions are reviewed rather than forgotten.
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
from pathlib import Path

BLOCKING = "CRITICAL"
REQUIRED = ("id", "services", "expires", "reason")
MIN_REASON = 20  # characters: a sentence, not "false positive"


def aws(*args: str) -> str:
    return subprocess.run(["aws", *args], check=True, capture_output=True, text=True).stdout


def load_allowlist(path: Path, today: datetime.date) -> tuple[list[dict], list[str]]:
    """The entries in force, and the problems of the file (malformed entries, expired ones)."""
    problems, active = [], []
    entries = json.loads(path.read_text()).get("allow", [])
    for index, entry in enumerate(entries):
        missing = [key for key in REQUIRED if not entry.get(key)]
        if missing:
            problems.append(f"{path}: entry {index} lacks {', '.join(missing)}")
            continue
        if len(entry["reason"].strip()) < MIN_REASON:
            problems.append(f"{path}: entry {entry['id']} gives no real reason")
            continue
        expires = datetime.date.fromisoformat(entry["expires"])
        if expires < today:
            print(f"note: allow-list entry {entry['id']} expired on {expires}; it excuses nothing")
            continue
        active.append(entry)
    return active, problems


def findings(repository: str, tag: str) -> list[tuple[str, str]]:
    """(vulnerability id, severity) of every finding of the image, basic and enhanced scanning alike."""
    report = json.loads(aws("ecr", "describe-image-scan-findings", "--repository-name", repository,
                            "--image-id", f"imageTag={tag}", "--output", "json"))
    scan = report.get("imageScanFindings", {})
    result = [(f.get("name", "?"), f.get("severity", "UNDEFINED")) for f in scan.get("findings", [])]
    for f in scan.get("enhancedFindings", []):
        vid = f.get("packageVulnerabilityDetails", {}).get("vulnerabilityId") or f.get("title", "?")
        result.append((vid, f.get("severity", "UNTRIAGED")))
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--tag", required=True)
    parser.add_argument("--allowlist", required=True, type=Path)
    parser.add_argument("services", nargs="+")
    args = parser.parse_args()

    allow, problems = load_allowlist(args.allowlist, datetime.date.today())
    for service in args.services:
        repository = f"{args.namespace}/{service}"
        aws("ecr", "wait", "image-scan-complete", "--repository-name", repository, "--image-id", f"imageTag={args.tag}")
        critical = sorted({vid for vid, severity in findings(repository, args.tag) if severity == BLOCKING})
        excused = [vid for vid in critical
                   if any(e["id"] == vid and ("*" in e["services"] or service in e["services"]) for e in allow)]
        blocking = [vid for vid in critical if vid not in excused]
        print(f"{repository}:{args.tag}: {len(critical)} critical ({len(excused)} allow-listed)")
        for vid in excused:
            print(f"  allowed  {vid}")
        for vid in blocking:
            print(f"  BLOCKING {vid}")
            problems.append(f"{repository}:{args.tag} has the critical finding {vid}")
    for problem in problems:
        print(f"image scan gate: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
