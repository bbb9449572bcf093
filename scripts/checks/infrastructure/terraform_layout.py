#!/usr/bin/env python3
"""Static checks of infrastructure/terraform that `terraform validate` would otherwise need providers for.

- Every module has main.tf, variables.tf, outputs.tf and versions.tf; every variable has a description and a
  type, every output a description.
- staging and production compose the modules identically: their main.tf, variables.tf, outputs.tf and versions.tf
  are the same files byte for byte; they differ only in terraform.tfvars and backend.hcl.
- Each terraform.tfvars sets only declared variables and every variable that has no default.
- Module calls pass only variables the module declares, and every variable it requires.
- The provider-free services module passes `terraform validate` (run on a temporary copy).
- The module reference in infrastructure/README.md is what render_readme.py renders.
- The Redis nodes' user data (both scripts embedded, gzipped as the module does) fits EC2's 16 KB limit.
"""

from __future__ import annotations

import gzip
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import hcl2

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import render_readme  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[3]
TF = ROOT / "infrastructure" / "terraform"
MODULE_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf")
ENV_SHARED = ("main.tf", "variables.tf", "outputs.tf", "versions.tf")


def load_dir(directory: pathlib.Path) -> dict[str, list]:
    merged: dict[str, list] = {}
    for path in sorted(directory.glob("*.tf")):
        with path.open() as handle:
            for key, value in hcl2.load(handle).items():
                merged.setdefault(key, []).extend(value)
    return merged


def blocks(parsed: dict, kind: str) -> dict[str, dict]:
    return {name: body for block in parsed.get(kind, []) for name, body in block.items()}


def main() -> int:
    errors: list[str] = []
    modules = sorted(p for p in (TF / "modules").iterdir() if p.is_dir())
    declared: dict[str, dict[str, dict]] = {}
    for module in modules:
        for name in MODULE_FILES:
            if not (module / name).exists():
                errors.append(f"modules/{module.name} has no {name}")
        parsed = load_dir(module)
        variables = blocks(parsed, "variable")
        declared[module.name] = variables
        for name, body in variables.items():
            for attribute in ("description", "type"):
                if attribute not in body:
                    errors.append(f"modules/{module.name}: variable {name} has no {attribute}")
        for name, body in blocks(parsed, "output").items():
            if "description" not in body:
                errors.append(f"modules/{module.name}: output {name} has no description")

    environments = {p.name: p for p in (TF / "environments").iterdir() if p.is_dir()}
    if set(environments) != {"staging", "production"}:
        errors.append(f"expected environments staging and production, found {sorted(environments)}")
    for name in ENV_SHARED:
        texts = {env: (path / name).read_text() if (path / name).exists() else None for env, path in environments.items()}
        if len(set(texts.values())) != 1 or None in texts.values():
            errors.append(f"environments/*/{name} differ: environments may differ only in terraform.tfvars and backend.hcl")
    for env, path in environments.items():
        for name in ("terraform.tfvars", "backend.hcl"):
            if not (path / name).exists():
                errors.append(f"environments/{env} has no {name}")
        parsed = load_dir(path)
        variables = blocks(parsed, "variable")
        with (path / "terraform.tfvars").open() as handle:
            tfvars = hcl2.load(handle)
        for key in tfvars:
            if key not in variables:
                errors.append(f"environments/{env}/terraform.tfvars sets undeclared variable {key}")
        for name, body in variables.items():
            if "default" not in body and name not in tfvars:
                errors.append(f"environments/{env}/terraform.tfvars does not set required variable {name}")
        for call, body in blocks(parsed, "module").items():
            source = body["source"][0] if isinstance(body["source"], list) else body["source"]
            target = pathlib.Path(source).name
            if target not in declared:
                errors.append(f"environments/{env}: module {call} uses unknown source {source}")
                continue
            passed = {k for k in body if not k.startswith("__")} - {"source", "providers", "depends_on", "count", "for_each", "version"}
            for key in sorted(passed - set(declared[target])):
                errors.append(f"environments/{env}: module {call} passes {key}, which modules/{target} does not declare")
            for key, var in declared[target].items():
                if "default" not in var and key not in passed:
                    errors.append(f"environments/{env}: module {call} does not pass required {key}")

    with tempfile.TemporaryDirectory() as tmp:
        copy = pathlib.Path(tmp) / "services"
        shutil.copytree(TF / "modules" / "services", copy)
        env = dict(os.environ, TF_CLI_CONFIG_FILE=os.devnull, TF_IN_AUTOMATION="1")
        for command in (["terraform", "init", "-backend=false", "-input=false", "-no-color"], ["terraform", "validate", "-no-color"]):
            proc = subprocess.run(command, cwd=copy, capture_output=True, text=True, env=env)
            if proc.returncode != 0:
                errors.append(f"modules/services: {' '.join(command[:2])} failed: {proc.stderr.strip() or proc.stdout.strip()}")
                break

    user_data = b"".join(
        path.read_bytes()
        for path in (
            ROOT / "infrastructure" / "redis" / "redis-node-init.sh",
            ROOT / "infrastructure" / "redis" / "redis-backup.sh",
            TF / "modules" / "redis-ec2" / "user-data.sh.tftpl",
        )
    )
    if len(gzip.compress(user_data, compresslevel=6)) > 16 * 1024 - 1024:  # 1 KB left for the rendered values
        errors.append("the Redis user data (init and backup scripts, gzipped) no longer fits EC2's 16 KB")

    if render_readme.current() != render_readme.render():
        errors.append("the module reference in infrastructure/README.md is out of date (run render_readme.py --write)")

    print(f"{len(modules)} modules, {len(environments)} environments")
    for error in errors:
        print(f"  {error}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
