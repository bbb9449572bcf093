#!/usr/bin/env python3
"""Tests the rotation of infrastructure/redis/redis-backup.sh without AWS.

1. `plan` on a year of daily snapshots (plus a second, earlier snapshot on some days and a file without a timestamp)
   keeps exactly 7 daily, 4 weekly and 3 monthly snapshots, and the right ones, computed independently here:
   the newest snapshot of each of the 7 newest days; then the newest snapshot of each of the 4 next older ISO
   weeks; then the newest snapshot of each of the 3 next older months. Everything else is deleted, except the
   file without a timestamp, which the plan never mentions.
2. `rotate` in local-directory mode, run after each of 365 simulated daily backups as the timer would, leaves
   7 + 4 + 3 snapshots: the 7 newest days, 4 distinct consecutive ISO weeks and 3 distinct consecutive months,
   each class older than the one before. A foreign file in the folder survives.
"""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "infrastructure" / "redis" / "redis-backup.sh"
LAST_DAY = dt.date(2025, 11, 22)  # fixed: the test must not depend on today's date
DAYS = 365


def name(day: dt.date, hhmmss: str = "031700") -> str:
    return f"redis-10.10.16.11-6379-{day:%Y%m%d}T{hhmmss}Z.rdb"


def parse(snapshot: str) -> dt.datetime:
    stamp = snapshot.split("-")[-1].removesuffix(".rdb")
    return dt.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ")


def expected(names: list[str]) -> dict[str, str]:
    """Independent rendering of the policy: name -> class for every kept snapshot."""
    ordered = sorted(names, key=parse, reverse=True)
    kept: dict[str, str] = {}
    days: list[dt.date] = []
    for snap in ordered:
        day = parse(snap).date()
        if day not in days:
            days.append(day)
            kept[snap] = "daily"
        if len(days) == 7:
            break
    oldest_daily = min(parse(s) for s in kept)
    used_weeks = {parse(s).isocalendar()[:2] for s in kept}
    weeks: list = []
    for snap in ordered:
        when = parse(snap)
        week = when.isocalendar()[:2]
        if when < oldest_daily and week not in used_weeks and week not in weeks and len(weeks) < 4:
            weeks.append(week)
            kept[snap] = "weekly"
    oldest_weekly = min(parse(s) for s, c in kept.items() if c == "weekly")
    used_months = {(parse(s).year, parse(s).month) for s in kept}
    months: list = []
    for snap in ordered:
        when = parse(snap)
        month = (when.year, when.month)
        if when < oldest_weekly and month not in used_months and month not in months and len(months) < 3:
            months.append(month)
            kept[snap] = "monthly"
    return kept


# The policy under test is the script's default: no REDIS_BACKUP_* setting of the caller may change it.
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("REDIS_BACKUP_")}


def run(args: list[str], stdin: str = "", env: dict | None = None) -> str:
    proc = subprocess.run(
        ["bash", str(SCRIPT), *args], input=stdin, capture_output=True, text=True, env=env or CLEAN_ENV, timeout=60
    )
    if proc.returncode != 0:
        raise SystemExit(f"redis-backup.sh {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


def check_classes(kept: dict[str, str], newest_days: list[dt.date], errors: list[str], label: str) -> None:
    by_class = {c: sorted((parse(s) for s, k in kept.items() if k == c), reverse=True) for c in ("daily", "weekly", "monthly")}
    counts = {c: len(v) for c, v in by_class.items()}
    if counts != {"daily": 7, "weekly": 4, "monthly": 3}:
        errors.append(f"{label}: kept {counts}, expected 7 daily, 4 weekly, 3 monthly")
        return
    if [d.date() for d in by_class["daily"]] != newest_days:
        errors.append(f"{label}: dailies {[d.date() for d in by_class['daily']]} are not the 7 newest days")
    weeks = [d.isocalendar()[:2] for d in by_class["weekly"]]
    week_starts = [dt.date.fromisocalendar(y, w, 1) for y, w in weeks]
    if len(set(weeks)) != 4 or any((a - b).days != 7 for a, b in zip(week_starts, week_starts[1:])):
        errors.append(f"{label}: weeklies {weeks} are not 4 distinct consecutive ISO weeks")
    months = [(d.year, d.month) for d in by_class["monthly"]]
    if len(set(months)) != 3 or any((a[0] * 12 + a[1]) - (b[0] * 12 + b[1]) != 1 for a, b in zip(months, months[1:])):
        errors.append(f"{label}: monthlies {months} are not 3 distinct consecutive months")
    if not (by_class["daily"][-1] > by_class["weekly"][0] and by_class["weekly"][-1] > by_class["monthly"][0]):
        errors.append(f"{label}: classes overlap in time")


def main() -> int:
    errors: list[str] = []
    days = [LAST_DAY - dt.timedelta(days=i) for i in range(DAYS)]
    newest_days = days[:7]

    # 1. The plan over a year of names.
    names = [name(d) for d in days] + [name(d, "011500") for d in days[::5]]
    plan = run(["plan"], "\n".join(names + ["README.txt"]) + "\n")
    decided: dict[str, str] = {}
    for line in plan.splitlines():
        parts = line.split()
        decided[parts[-1]] = parts[1] if parts[0] == "keep" else "delete"
    if "README.txt" in decided:
        errors.append("plan: a name without a timestamp got a decision")
    if set(decided) != set(names):
        errors.append(f"plan: decided on {len(decided)} of {len(names)} snapshots")
    kept = {n: c for n, c in decided.items() if c != "delete"}
    want = expected(names)
    if kept != want:
        errors.append(f"plan: kept {sorted(kept.items())}\n    expected {sorted(want.items())}")
    check_classes(kept, newest_days, errors, "plan")

    # 2. Daily backups with rotation after each, in local-directory mode.
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp) / "10.10.16.11-6379"
        folder.mkdir()
        (folder / "README.txt").write_text("not a snapshot\n")
        env = dict(CLEAN_ENV, REDIS_BACKUP_DEST=tmp)
        for day in reversed(days):
            (folder / name(day)).write_bytes(b"REDIS0011")
            run(["rotate"], env=env)
            count = len(list(folder.glob("*.rdb")))
            if count > 14:
                errors.append(f"rotate: {count} snapshots after {day}")
                break
        remaining = sorted(p.name for p in folder.glob("*.rdb"))
        if not (folder / "README.txt").exists():
            errors.append("rotate: deleted a file without a timestamp")
        if len(remaining) != 14:
            errors.append(f"rotate: {len(remaining)} snapshots remain, expected 14")
        plan = run(["plan"], "\n".join(remaining) + "\n")
        classes = {line.split()[-1]: line.split()[1] for line in plan.splitlines() if line.startswith("keep")}
        if len(classes) != len(remaining):
            errors.append("rotate: the remaining set is not stable under another rotation")
        check_classes(classes, newest_days, errors, "rotate")

    print(f"rotation checked: plan over {len(names)} snapshots, then {DAYS} daily backups each followed by rotate")
    for error in errors:
        print(f"  {error}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
