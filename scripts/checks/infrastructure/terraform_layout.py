#!/usr/bin/env python3
"""Static checks of infrastructure/terraform that `terraform validate` would otherwise need providers for.

modules/<name> are the building blocks, platform/ composes them into the backend of one environment, and
environments/{staging,production} are thin root modules around the platform; an environment's second region is one
more, environments/<environment>-<name_suffix> (e.g. production-r2), held to the same rules.

- Every module (each building block and the platform) has main.tf, variables.tf, outputs.tf and versions.tf; every
  variable has a description and a type, every output a description.
- Module calls pass only variables the called module declares, and every variable it requires.
- Each environment is a thin root module: providers, the state backend and a single `module "platform"` call, no
  resources or data sources of its own. The call passes every variable the platform declares and the providers it
  expects; each environment variable goes to the platform variable of the same name, declared with the same type, and
  an optional one defaults to null there while the platform gives it a default and nullable = false, so defaults live
  only in the platform. The environment outputs are the platform's outputs under the same names; moved blocks lead
  from module.<name> to module.platform.module.<name> of a module the platform calls.
- Each terraform.tfvars sets only declared variables and every variable that has no default, and names its own
  environment; each backend.hcl keeps the state under a key of its own directory. A second region's directory is
  <environment>-<suffix> of an existing environment: its tfvars say region_role = "secondary" and name_suffix =
  <suffix> (so that its global names differ), and the environment's own directory is its primary.
- The provider-free services module passes `terraform validate` (run on a temporary copy).
- The module reference in infrastructure/README.md is what render_readme.py renders.
- The Redis nodes' user data (both scripts embedded, gzipped as the module does) fits EC2's 16 KB limit.
- Every module and environment requires Terraform 1.10 or newer (the S3 backend's use_lockfile), and every
  backend.hcl locks with use_lockfile = true.
"""

from __future__ import annotations

import gzip
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

import hcl2

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import render_readme  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[3]
TF = ROOT / "infrastructure" / "terraform"
PLATFORM = TF / "platform"
MODULE_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf")
ENV_FILES = ("main.tf", "variables.tf", "outputs.tf", "terraform.tfvars", "backend.hcl")


def load_dir(directory: pathlib.Path) -> dict[str, list]:
    merged: dict[str, list] = {}
    for path in sorted(directory.glob("*.tf")):
        with path.open() as handle:
            for key, value in hcl2.load(handle).items():
                merged.setdefault(key, []).extend(value)
    return merged


def blocks(parsed: dict, kind: str) -> dict[str, dict]:
    return {name: body for block in parsed.get(kind, []) for name, body in block.items()}


def unwrap(value):
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def reference(value, prefix: str) -> str | None:
    """The name in `${<prefix>.<name>}`, e.g. reference("${var.region}", "var") == "region"; None for anything else."""
    match = re.fullmatch(r"\$\{" + re.escape(prefix) + r"\.([A-Za-z0-9_-]+)\}", str(unwrap(value)))
    return match.group(1) if match else None


def expression(value) -> str:
    """An attribute as written, without python-hcl2's ${...} around it."""
    return re.sub(r"^\$\{(.*)\}$", r"\1", str(unwrap(value)), flags=re.S)


def type_of(body: dict) -> str:
    return re.sub(r"\s+", "", expression(body.get("type", "any")))


def arguments(call: dict) -> set[str]:
    return {k for k in call if not k.startswith("__")} - {"source", "providers", "depends_on", "count", "for_each", "version"}


def check_module(where: str, directory: pathlib.Path, errors: list[str]) -> dict:
    """File set, typed and described variables, described outputs; returns the parsed module."""
    for name in MODULE_FILES:
        if not (directory / name).exists():
            errors.append(f"{where} has no {name}")
    parsed = load_dir(directory)
    for name, body in blocks(parsed, "variable").items():
        for attribute in ("description", "type"):
            if attribute not in body:
                errors.append(f"{where}: variable {name} has no {attribute}")
    for name, body in blocks(parsed, "output").items():
        if "description" not in body:
            errors.append(f"{where}: output {name} has no description")
    return parsed


def check_calls(where: str, directory: pathlib.Path, parsed: dict, declared: dict[pathlib.Path, dict], errors: list[str]) -> None:
    """Every module call passes only declared and all required variables of a module of this repository."""
    for call, body in blocks(parsed, "module").items():
        source = unwrap(body["source"])
        target = (directory / source).resolve()
        if target not in declared:
            errors.append(f"{where}: module {call} uses unknown source {source}")
            continue
        variables, passed = declared[target], arguments(body)
        label = target.relative_to(TF)
        for key in sorted(passed - set(variables)):
            errors.append(f"{where}: module {call} passes {key}, which {label} does not declare")
        for key, var in variables.items():
            if "default" not in var and key not in passed:
                errors.append(f"{where}: module {call} does not pass required {key}")


def check_environment(env: str, path: pathlib.Path, platform: dict, errors: list[str]) -> None:
    where = f"environments/{env}"
    for name in ENV_FILES:
        if not (path / name).exists():
            errors.append(f"{where} has no {name}")
    parsed = load_dir(path)
    for kind in ("resource", "data"):
        for block in parsed.get(kind, []):
            for type_name, named in block.items():
                for name in named:
                    errors.append(f"{where} declares {kind} {type_name}.{name}: environments only call the platform")
    calls = blocks(parsed, "module")
    if list(calls) != ["platform"]:
        errors.append(f"{where} must make exactly one module call, platform, not {sorted(calls)}")
    call = calls.get("platform")
    if call is None or (path / unwrap(call["source"])).resolve() != PLATFORM:
        return

    platform_variables = blocks(platform, "variable")
    variables = blocks(parsed, "variable")
    passed = arguments(call)
    for key in sorted(set(platform_variables) - passed):
        if "default" in platform_variables[key]:  # a missing required one is reported by check_calls
            errors.append(f"{where}: module platform does not pass {key}")
    aliases = {
        reference(alias, "aws")
        for block in platform.get("terraform", [])
        for providers in block.get("required_providers", [])
        for alias in unwrap(providers).get("aws", [{}])[0].get("configuration_aliases", [])
    }
    given = set(unwrap(call.get("providers", {})) or {})
    for alias in sorted(a for a in aliases if a):
        if f"aws.{alias}" not in given:
            errors.append(f"{where}: module platform is not given the provider aws.{alias}")
    for key in sorted(passed & set(platform_variables)):
        name = reference(call[key], "var")
        if name is not None and name != key:
            errors.append(f"{where}: module platform gets {key} from var.{name}; pass each variable under its own name")
    for name, body in variables.items():
        if reference(call.get(name), "var") != name:
            errors.append(f"{where}: variable {name} is not passed to the platform as {name} = var.{name}")
            continue
        target = platform_variables.get(name)
        if target is None:
            continue  # reported by check_calls
        if type_of(body) != type_of(target):
            errors.append(f"{where}: variable {name} has type {type_of(body)}, the platform's has {type_of(target)}")
        if "default" in body:
            if unwrap(body["default"]) is not None:
                errors.append(f"{where}: variable {name} has a default of its own; leave it null and set it in platform/variables.tf")
            elif "default" not in target or unwrap(target.get("nullable", True)) is not False:
                errors.append(f"{where}: optional variable {name} needs a default and nullable = false in platform/variables.tf")
        elif "default" in target:
            errors.append(f"{where}: variable {name} is required here but optional in the platform (give it default = null)")

    outputs = blocks(parsed, "output")
    for name in sorted(set(blocks(platform, "output")) - set(outputs)):
        errors.append(f"{where} does not output the platform's {name}")
    for name, body in outputs.items():
        if reference(body.get("value"), "module.platform") != name:
            errors.append(f"{where}: output {name} is not module.platform.{name}")

    platform_calls = set(blocks(platform, "module"))
    for block in parsed.get("moved", []):
        source, target = reference(block.get("from"), "module"), reference(block.get("to"), "module.platform.module")
        if source is None or source != target or source not in platform_calls:
            errors.append(
                f"{where}: moved block {expression(block.get('from'))} -> {expression(block.get('to'))} does not lead to "
                "module.platform.module.<the same name> of a module the platform calls"
            )

    if not (path / "terraform.tfvars").exists() or not (path / "backend.hcl").exists():
        return  # reported above
    with (path / "terraform.tfvars").open() as handle:
        tfvars = hcl2.load(handle)
    for key in tfvars:
        if key not in variables:
            errors.append(f"{where}/terraform.tfvars sets undeclared variable {key}")
    for name, body in variables.items():
        if "default" not in body and name not in tfvars:
            errors.append(f"{where}/terraform.tfvars does not set required variable {name}")
    base, _, suffix = env.partition("-")
    if unwrap(tfvars.get("environment")) != base:
        errors.append(f"{where}/terraform.tfvars sets environment = {unwrap(tfvars.get('environment'))!r}, not {base!r}")
    role, name_suffix = unwrap(tfvars.get("region_role", "primary")), unwrap(tfvars.get("name_suffix", ""))
    if suffix and (role != "secondary" or name_suffix != suffix):
        errors.append(f"{where}/terraform.tfvars: a second region sets region_role = \"secondary\" and name_suffix = {suffix!r}")
    if not suffix and (role != "primary" or name_suffix):
        errors.append(f"{where}/terraform.tfvars: the environment's own directory is its primary region, without name_suffix")
    with (path / "backend.hcl").open() as handle:
        key = str(unwrap(hcl2.load(handle).get("key", "")))
    if f"/{env}/" not in f"/{key}":
        errors.append(f"{where}/backend.hcl keeps the state under {key!r}, which does not name {env}")


def main() -> int:
    errors: list[str] = []
    modules = sorted(p for p in (TF / "modules").iterdir() if p.is_dir())
    parsed_modules = {module: check_module(f"modules/{module.name}", module, errors) for module in modules}
    platform = check_module("platform", PLATFORM, errors)
    declared = {path: blocks(parsed, "variable") for path, parsed in [*parsed_modules.items(), (PLATFORM, platform)]}
    for module, parsed in parsed_modules.items():
        check_calls(f"modules/{module.name}", module, parsed, declared, errors)
    check_calls("platform", PLATFORM, platform, declared, errors)

    environments = {p.name: p for p in (TF / "environments").iterdir() if p.is_dir()}
    primaries = {name for name in environments if "-" not in name}
    if primaries != {"staging", "production"}:
        errors.append(f"expected environments staging and production, found {sorted(primaries)}")
    for name in sorted(set(environments) - primaries):
        if name.partition("-")[0] not in primaries or not re.fullmatch(r"[a-z]+-[a-z0-9]+", name):
            errors.append(f"environments/{name}: a second region is <environment>-<suffix> of staging or production")
    for env, path in sorted(environments.items()):
        check_calls(f"environments/{env}", path, load_dir(path), declared, errors)
        check_environment(env, path, platform, errors)

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

    # use_lockfile (backend.hcl) exists from Terraform 1.10 on: an older CLI would ignore it and run unlocked.
    for path in sorted(TF.rglob("*.tf")):
        if ".terraform" in path.parts:
            continue
        with path.open() as handle:
            for block in hcl2.load(handle).get("terraform", []):
                constraint = str(unwrap(block.get("required_version", "")))
                match = re.fullmatch(r">=\s*(\d+)\.(\d+)(?:\.\d+)?", constraint.strip())
                if not match or (int(match.group(1)), int(match.group(2))) < (1, 10):
                    errors.append(f"{path.relative_to(TF)}: required_version {constraint!r} must be >= 1.10 (use_lockfile)")
    for backend in sorted((TF / "environments").glob("*/backend.hcl")):
        with backend.open() as handle:
            if unwrap(hcl2.load(handle).get("use_lockfile")) is not True:
                errors.append(f"{backend.relative_to(TF)}: use_lockfile = true is missing (state locking)")

    if render_readme.current() != render_readme.render():
        errors.append("the module reference in infrastructure/README.md is out of date (run render_readme.py --write)")

    print(f"{len(modules)} modules, the platform, {len(environments)} environments")
    for error in errors:
        print(f"  {error}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
