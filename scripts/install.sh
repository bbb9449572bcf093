#!/usr/bin/env bash
# Installs what building, running and testing the product needs on Debian 12: the packages in
# scripts/apt-packages.txt and the Python tools in scripts/requirements-checks.txt. Idempotent and quick when
# everything is already there. Swift itself (6.1 or newer) is expected on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

packages() { grep -v '^\s*#' "$1" | grep -v '^\s*$'; }

missing=()
for package in $(packages scripts/apt-packages.txt); do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "install: apt packages ${missing[*]}"
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# pip is asked only when a requirement is not importable as installed (pip's own check is slow with many packages).
if ! python3 - scripts/requirements-checks.txt <<'PY'
import sys
from importlib import metadata
import re
missing = []
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if not line:
        continue
    name = re.split(r"[\[<>=!~ ]", line, maxsplit=1)[0]
    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        missing.append(name)
if missing:
    print("install: python packages " + " ".join(missing))
    sys.exit(1)
PY
then
    python3 -m pip install -q --disable-pip-version-check -r scripts/requirements-checks.txt
fi

command -v swift >/dev/null || { echo "install: swift is not on PATH (Swift 6.1 or newer is required)" >&2; exit 1; }
echo "install: ok"
