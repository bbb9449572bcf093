#!/usr/bin/env python3
"""Checks that the runtime stage of the Dockerfiles installs every shared library the binaries load.

    runtime_libs.py BINARY... --dockerfile docker/Dockerfiles/service.Dockerfile [--dockerfile ...]

For each binary, `ldd` lists the shared libraries it loads (directly or through another
library) and `dpkg -S` names the Debian package of each one on this machine. A package is
accepted when:
  * it is part of debian:bookworm-slim already (BOOKWORM_SLIM_BASE below), or
  * the runtime stage installs it by name, or
  * the runtime stage installs a package that depends on it (apt installs it too), unless the
    binary links the library directly (ELF NEEDED): direct dependencies are named explicitly,
    so that the image does not rely on another package's dependency list.
It also fails when a binary loads a store client library it has no use for (NOT_LINKED: the
gateway talks to Redis only), and on a package the runtime stage installs that no binary needs and that is not in
RUNTIME_EXTRAS, on a library that no package owns (it would be missing from the image), and on
a library ldd cannot find.

Package relations come from dpkg's own database (`dpkg-query`), so the check runs offline.
"""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
from pathlib import Path

# Packages that debian:bookworm-slim contains before any RUN: the image holds the packages of
# Priority required (Essential ones included) and their dependencies. Since bookworm, library
# packages have Priority optional even there, so the list is explicit; each entry names what
# pulls it into the image. The check verifies every entry against this machine's dpkg database
# (it must be Essential/required or a dependency of such a package), so the list cannot drift.
BOOKWORM_SLIM_BASE = {
    "libc6": "the C library; Essential packages depend on it",
    "libgcc-s1": "GCC's runtime (unwinder); dependency of libc6",
    "libstdc++6": "the C++ runtime; dependency of apt (required)",
    "zlib1g": "dependency of dpkg (Essential)",
    "libzstd1": "dependency of dpkg (Essential)",
    "liblzma5": "dependency of dpkg (Essential)",
    "libbz2-1.0": "dependency of dpkg (Essential)",
    "libselinux1": "dependency of dpkg (Essential)",
    "libpcre2-8-0": "dependency of libselinux1 and grep (Essential)",
    "libmd0": "dependency of dpkg (Essential)",
    "libcrypt1": "dependency of libc6 and login (Essential)",
    "libacl1": "dependency of coreutils and tar (Essential)",
    "libattr1": "dependency of coreutils (Essential)",
    "libgmp10": "dependency of coreutils (Essential)",
    "libtinfo6": "dependency of bash (Essential)",
    "libsystemd0": "dependency of apt (required)",
    "libudev1": "dependency of libsystemd0's users (util-linux, Essential)",
    "liblz4-1": "dependency of libsystemd0",
    "libgcrypt20": "dependency of libsystemd0",
    "libgpg-error0": "dependency of libgcrypt20",
    "libcap2": "dependency of libsystemd0",
    "libxxhash0": "dependency of apt (required)",
    "libseccomp2": "dependency of apt (required)",
    "libgnutls30": "dependency of apt (required)",
    "libhogweed6": "dependency of libgnutls30",
    "libnettle8": "dependency of libgnutls30",
    "libidn2-0": "dependency of libgnutls30",
    "libunistring2": "dependency of libidn2-0",
    "libp11-kit0": "dependency of libgnutls30",
    "libtasn1-6": "dependency of libgnutls30",
    "libffi8": "dependency of libp11-kit0",
    "libaudit1": "dependency of passwd and login (required)",
    "libcap-ng0": "dependency of libaudit1",
    "libdb5.3": "dependency of libpam-modules (login, required)",
    "libpam0g": "dependency of login and passwd (required)",
    "libuuid1": "dependency of util-linux (Essential)",
    "libblkid1": "dependency of util-linux (Essential)",
    "libmount1": "dependency of util-linux (Essential)",
    "libsmartcols1": "dependency of util-linux (Essential)",
}

# Packages the runtime stage may install although no binary links a library of theirs.
RUNTIME_EXTRAS = {
    "ca-certificates": "the trust store for TLS to RDS, DocumentDB, MSK and S3 (no library of its own)",
}

# Store client libraries a binary must not load, by binary name: the module boundaries keep them out (the gateway
# uses Redis only; PostgreSQL, DocumentDB and Kafka are the services' business).
NOT_LINKED = {
    "api-gateway": ("libpq.so", "libmongoc-1.0.so", "libbson-1.0.so", "librdkafka.so"),
}

# Package names on a development machine that differ from the package bookworm-slim needs.
# Debian 13 and Ubuntu 24.04 renamed many libraries for 64-bit time_t (…t64); the image is
# bookworm, which has the old names (same sonames). A library whose soname differs between the
# releases (libhiredis1.1.0 vs libhiredis0.14, libicu76 vs libicu72) cannot be mapped: build on
# bookworm, as the Dockerfile's builder stage does.
DEV_TO_BOOKWORM = {
    "libssl3t64": "libssl3",
    "libcurl4t64": "libcurl4",
    "libgnutls30t64": "libgnutls30",
    "libsasl2-2t64": "libsasl2-2",
}


def run(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def runtime_packages(dockerfile: Path) -> set[str]:
    """The packages `apt-get install` names in the last stage of `dockerfile`."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    stages = re.split(r"^FROM\s", text, flags=re.M)
    packages: set[str] = set()
    for line in stages[-1].splitlines():
        if not line.startswith("RUN"):
            continue
        for command in re.split(r"&&|;|\|\|", line[3:]):
            words = shlex.split(command, comments=True)
            if len(words) >= 2 and words[0] in ("apt-get", "apt") and "install" in words:
                after = words[words.index("install") + 1:]
                packages |= {w.split("=")[0] for w in after if not w.startswith("-")}
    return packages


def installed_packages() -> dict[str, dict]:
    """dpkg's database: package -> {essential, priority, depends (names only)}."""
    fmt = "${Package}\\t${Essential}\\t${Priority}\\t${Pre-Depends}, ${Depends}\\t${Status}\\n"
    result = {}
    for line in run("dpkg-query", "-W", "-f", fmt).splitlines():
        name, essential, priority, depends, status = line.split("\t")
        if not status.endswith(" installed"):
            continue
        names = set()
        for clause in depends.split(","):
            # "a (>= 1) | b": the first alternative is what apt installs.
            first = clause.split("|")[0].strip()
            if first:
                names.add(first.split()[0].split(":")[0])
        result[name] = {"essential": essential == "yes", "priority": priority, "depends": names}
    return result


def closure(roots: set[str], database: dict[str, dict]) -> set[str]:
    seen, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(database.get(name, {}).get("depends", ()))
    return seen


def libraries(binary: Path) -> tuple[dict[str, str | None], set[str]]:
    """ldd's libraries (soname -> path, None when not found) and the binary's NEEDED sonames."""
    loaded: dict[str, str | None] = {}
    for line in run("ldd", str(binary)).splitlines():
        line = line.strip()
        if "=>" in line:
            soname, target = (part.strip() for part in line.split("=>", 1))
            loaded[soname] = None if target.startswith("not found") else target.split(" (")[0]
        elif line.startswith("/"):  # the dynamic loader itself
            path = line.split(" (")[0]
            loaded[Path(path).name] = path
    needed = set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", run("readelf", "-d", str(binary))))
    return loaded, needed


def owners(paths: set[str]) -> dict[str, str | None]:
    """Path -> owning package (arch qualifier removed), trying the usr-merged twin of a path too."""
    candidates: dict[str, list[str]] = {}
    for path in paths:
        variants = [path, str(Path(path).resolve())]
        variants += [v[4:] if v.startswith("/usr/") else "/usr" + v for v in list(variants)]
        candidates[path] = variants
    # One dpkg call for every variant; unknown paths only add lines to stderr.
    everything = sorted({v for variants in candidates.values() for v in variants})
    listing = subprocess.run(["dpkg", "-S", *everything], capture_output=True, text=True).stdout
    owner_of: dict[str, str] = {}
    for line in listing.splitlines():
        package, _, owned = line.partition(": ")
        owner_of[owned.strip()] = package.split(",")[0].split(":")[0].strip()
    return {path: next((owner_of[v] for v in variants if v in owner_of), None) for path, variants in candidates.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binaries", nargs="+", type=Path)
    parser.add_argument("--dockerfile", action="append", type=Path, required=True)
    args = parser.parse_args()

    problems: list[str] = []
    database = installed_packages()

    # The base list must be what bookworm-slim really has: Essential/required and their dependencies.
    base_roots = {n for n, p in database.items() if p["essential"] or p["priority"] == "required"}
    base_closure = closure(base_roots, database)
    for name in BOOKWORM_SLIM_BASE:
        if name not in base_closure:
            problems.append(f"BOOKWORM_SLIM_BASE lists {name}, which no Essential/required package pulls in")

    installs = {str(d): runtime_packages(d) for d in args.dockerfile}
    explicit = next(iter(installs.values()))
    for dockerfile, packages in installs.items():
        if packages != explicit:
            problems.append(f"{dockerfile}: its runtime stage installs {sorted(packages)}, not {sorted(explicit)}")
    pulled_in = closure(explicit, database)
    missing_locally = sorted(p for p in explicit if p not in database)
    if missing_locally:
        problems.append(f"not installed on this machine, so their dependencies are unknown: {missing_locally}")

    used: set[str] = set()
    report: dict[str, str] = {}
    for binary in args.binaries:
        loaded, needed = libraries(binary)
        for soname in sorted(loaded):
            if soname.startswith(NOT_LINKED.get(binary.name, ())):
                problems.append(f"{binary.name} loads {soname}, a store client it does not use (NOT_LINKED)")
        package_of = owners({p for p in loaded.values() if p})
        for soname, path in sorted(loaded.items()):
            if path is None:
                problems.append(f"{binary.name}: ldd cannot find {soname}")
                continue
            dev_package = package_of[path]
            if dev_package is None:
                problems.append(f"{binary.name}: {path} belongs to no Debian package, so the image cannot have it")
                continue
            package = DEV_TO_BOOKWORM.get(dev_package, dev_package)
            used.add(package)
            if package in explicit:
                verdict = "installed by the runtime stage"
            elif package in BOOKWORM_SLIM_BASE:
                verdict = "in debian:bookworm-slim"
            elif package in pulled_in and soname not in needed:
                verdict = "pulled in by the runtime stage's packages"
            elif package in pulled_in:
                verdict = "MISSING (linked directly: name it in the runtime stage)"
                problems.append(f"{binary.name} links {soname} directly: install {package} by name in the runtime stage")
            else:
                verdict = "MISSING"
                problems.append(f"{binary.name} loads {soname} from {package}, which the runtime stage does not install")
            report.setdefault(package, verdict)

    for package in sorted(explicit - used - set(RUNTIME_EXTRAS)):
        problems.append(f"the runtime stage installs {package}, which no binary needs (or add it to RUNTIME_EXTRAS)")

    for name, forbidden in NOT_LINKED.items():
        if any(binary.name == name for binary in args.binaries):
            print(f"    {name} loads none of {', '.join(forbidden)}")
    for package, verdict in sorted(report.items()):
        print(f"    {package:<24} {verdict}")
    for problem in problems:
        print(f"    problem: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
