#!/usr/bin/env python3
"""Runs the phases of buildspec.yml (and of the pipeline's infrastructure/codebuild/deploy.buildspec.yml) the way
CodeBuild does, with every outside effect recorded.

In a temporary copy of the files the buildspec reads, with fake `docker`, `aws`, `curl`, `swift`, `apt-get` and
`dockerd` first on PATH, a fake `chatctl` where `swift build --show-bin-path` points, scripts/install.sh replaced by a
recorder and scripts/test.sh by a stub that passes or fails, it runs install, pre_build, build and post_build in one
bash shell (CodeBuild's semantics: a failed command ends its phase; a failure in install or pre_build ends the build;
post_build runs after a failed build with CODEBUILD_BUILD_SUCCEEDING=0). Variables a scenario sets play the build
project's environment, which overrides the buildspec's. Then it checks, per scenario, what was installed, built,
pushed, scanned, deployed and smoke-tested, and in which order.

    buildspec_harness.py [SCENARIO ...]   (default: all; the names are the keys of SCENARIOS)

Prints one line per scenario (its title, or "FAIL ..." with what went wrong) and exits 1 when one failed.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cfn_yaml  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
SERVICES = ["api-gateway", "auth", "user", "chat", "notification"]
COMMIT = "0123456789abcdef0123456789abcdef01234567"
PREVIOUS = "fedcba9876543210fedcba9876543210fedcba98"
ACCOUNT = "123456789012"
REGION = "eu-west-1"
REGISTRY = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
REPO = f"{REGISTRY}/chat-backend"
BASE_REGISTRY = f"{REGISTRY}/ecr-public/docker/library"
FINDING = "CVE-2099-0001"
# What the buildspecs read from the repository (everything else stays out of the copy).
COPIED = ["buildspec.yml", "docker", "infrastructure/ecs-task-definitions.yaml", "infrastructure/codedeploy",
          "infrastructure/codebuild"]
DEPLOY_BUILDSPEC = "infrastructure/codebuild/deploy.buildspec.yml"

# Each fake appends one JSON line {"tool", "argv", ...} to $RECORD.
FAKE_COMMON = r'''#!/usr/bin/env python3
import json, os, sys
def record(**extra):
    with open(os.environ["RECORD"], "a") as f:
        f.write(json.dumps({"tool": os.path.basename(sys.argv[0]), "argv": sys.argv[1:], **extra}) + "\n")
def file_arg(name):
    """Contents of a `--name file://path` argument."""
    args = sys.argv[1:]
    value = args[args.index(name) + 1]
    return open(value[len("file://"):]).read() if value.startswith("file://") else value
def arg(name):
    args = sys.argv[1:]
    return args[args.index(name) + 1] if name in args else None
'''

FAKE_DOCKER = FAKE_COMMON + r'''
args = sys.argv[1:]
if args[:1] == ["login"]:
    record(stdin=sys.stdin.read())
elif args[:1] == ["build"]:
    record()
    tag = args[args.index("-t") + 1]
    if os.environ.get("FAKE_DOCKER_BUILD_FAIL") and tag.split("/")[-1].startswith(os.environ["FAKE_DOCKER_BUILD_FAIL"] + ":"):
        sys.exit(1)
elif args[:1] == ["info"]:
    pass
else:
    record()
'''

FAKE_AWS = FAKE_COMMON + r'''
args = sys.argv[1:]
command = args[:2]
repository = arg("--repository-name") or ""
service = repository.split("/")[-1]
if command == ["sts", "get-caller-identity"]:
    record(); print(os.environ.get("AWS_ACCESS_KEY_ID") == "ASIAFAKE" and "222222222222" or os.environ["FAKE_ACCOUNT"])
elif command == ["sts", "assume-role"]:
    record(); print("ASIAFAKE\tfake-secret\tfake-token")
elif command == ["ecr", "get-login-password"]:
    record(); print("fake-ecr-password")
elif command == ["ecr", "describe-images"]:
    record()
    if service not in os.environ.get("FAKE_EXISTING", "").split():
        print("An error occurred (ImageNotFoundException)", file=sys.stderr); sys.exit(254)
    print(json.dumps({"imageDetails": [{"imageTags": [arg("--image-ids").split("=", 1)[1]]}]}))
elif command == ["ecr", "describe-image-scan-findings"]:
    record()
    critical = [f.split(":", 1)[1] for f in os.environ.get("FAKE_CRITICAL", "").split() if f.split(":", 1)[0] == service]
    findings = [{"name": "CVE-2099-9999", "severity": "MEDIUM"}] + [{"name": c, "severity": "CRITICAL"} for c in critical]
    print(json.dumps({"imageScanFindings": {"findings": findings}}))
elif command == ["cloudformation", "describe-stacks"]:
    record()
    if "Parameters" in (arg("--query") or ""):
        print(os.environ.get("FAKE_PREVIOUS_TAG") or "None")
    else:
        print(open(os.environ["FAKE_STACK_OUTPUTS"]).read())
elif command == ["ecs", "register-task-definition"]:
    record(input=file_arg("--cli-input-json"))
    print("arn:aws:ecs:eu-west-1:123456789012:task-definition/chat-backend-api-gateway:42")
elif command == ["deploy", "create-deployment"]:
    record(input=file_arg("--cli-input-json")); print("d-FAKE12345")
elif command == ["deploy", "get-deployment"]:
    record(); print(os.environ.get("FAKE_DEPLOYMENT_STATUS", "Ready"))
elif command == ["ecs", "describe-services"]:
    record(); print(f"arn:aws:ecs:eu-west-1:123456789012:task-definition/chat-staging-{arg('--services')}:7")
elif command == ["ecs", "describe-task-definition"]:
    record()
    family = arg("--task-definition").split("/")[-1].split(":")[0]
    image = f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/chat-backend/{family.removeprefix('chat-staging-')}:previous"
    print(json.dumps({"taskDefinition": {
        "taskDefinitionArn": arg("--task-definition"), "family": family, "revision": 7, "status": "ACTIVE",
        "containerDefinitions": [{"name": "service", "image": image}, {"name": "redis-ca", "image": image},
                                 {"name": "aws-otel-collector", "image": "public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0"}]},
        "tags": [{"key": "Service", "value": family}]}))
else:
    record()
'''

# curl: only the Terraform download is expected; it gets the harness's stand-in zip.
FAKE_CURL = FAKE_COMMON + r'''
record()
import shutil
shutil.copyfile(os.environ["FAKE_TERRAFORM_ZIP"], arg("-o"))
'''

FAKE_SWIFT = FAKE_COMMON + r'''
record()
if "--show-bin-path" in sys.argv:
    print(os.environ["FAKE_SWIFT_BIN"])
'''

FAKE_CHATCTL = FAKE_COMMON + r'''
record()
sys.exit(int(os.environ.get("FAKE_SMOKE_EXIT", "0")))
'''

FAKE_RECORDER = FAKE_COMMON + "record()\n"

TEST_STUB = """#!/usr/bin/env bash
# Stand-in for the test command: recorded, then passes or fails as the harness says.
printf '{"tool": "test.sh", "argv": []}\\n' >> "$RECORD"
exit "${FAKE_TEST_EXIT:-0}"
"""

INSTALL_STUB = """#!/usr/bin/env bash
printf '{"tool": "install.sh", "argv": []}\\n' >> "$RECORD"
"""


def fake_terraform_zip() -> bytes:
    """A zip holding a `terraform` that answers `version`, as the real release zip holds the real one."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("terraform")
        info.external_attr = 0o755 << 16
        archive.writestr(info, "#!/bin/sh\necho 'Terraform v0.0.0 (harness stand-in)'\n")
    return buffer.getvalue()


def emulator(buildspec: dict, workdir: Path, project_env: dict[str, str]) -> str:
    """A bash script that runs the buildspec's phases with CodeBuild's semantics."""
    lines = ["cd " + json.dumps(str(workdir))]
    for key, value in (buildspec.get("env", {}).get("variables") or {}).items():
        lines.append(f"export {key}={json.dumps(str(value))}")
    # The project's environment overrides the buildspec's variables.
    for key, value in project_env.items():
        lines.append(f"export {key}={json.dumps(value)}")
    lines.append("export CODEBUILD_BUILD_SUCCEEDING=1")
    phases = buildspec["phases"]
    for phase in ["install", "pre_build", "build", "post_build"]:
        commands = (phases.get(phase) or {}).get("commands") or []
        files = []
        for index, command in enumerate(commands):
            path = workdir / ".harness" / f"{phase}-{index}.sh"
            path.write_text(command + "\n")
            files.append(json.dumps(str(path)))
        lines.append(f"__phase_{phase}() {{")
        lines.append(f"  printf '{{\"tool\": \"phase\", \"argv\": [\"{phase}\"]}}\\n' >> \"$RECORD\"")
        for file in files:
            lines.append(f"  source {file} || return 1")
        lines.append("  return 0")
        lines.append("}")
    lines += [
        "if __phase_install && __phase_pre_build; then",
        "  __phase_build || CODEBUILD_BUILD_SUCCEEDING=0",
        "  __phase_post_build || CODEBUILD_BUILD_SUCCEEDING=0",
        "else",
        "  CODEBUILD_BUILD_SUCCEEDING=0",
        "fi",
        'printf \'{"tool": "result", "argv": ["%s"]}\\n\' "$CODEBUILD_BUILD_SUCCEEDING" >> "$RECORD"',
    ]
    return "\n".join(lines) + "\n"


def run_scenario(buildspec_path: str = "buildspec.yml", test_exit: int = 0, build_fail: str | None = None,
                 existing: str = "", critical: str = "", allowlisted: bool = False, smoke_exit: int = 0,
                 wrong_checksum: bool = False, project: dict[str, str] | None = None) -> tuple[list[dict], Path, str]:
    temp = Path(tempfile.mkdtemp(prefix="buildspec-harness-"))
    work = temp / "src"
    for relative in COPIED:
        source = ROOT / relative
        target = work / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
    (work / "scripts").mkdir(parents=True, exist_ok=True)
    (work / "scripts" / "test.sh").write_text(TEST_STUB)
    (work / "scripts" / "test.sh").chmod(0o755)
    (work / "scripts" / "install.sh").write_text(INSTALL_STUB)
    (work / "scripts" / "install.sh").chmod(0o755)
    (work / ".harness").mkdir()

    fakes = temp / "bin"
    fakes.mkdir()
    for name, text in {"docker": FAKE_DOCKER, "aws": FAKE_AWS, "curl": FAKE_CURL, "swift": FAKE_SWIFT,
                       "apt-get": FAKE_RECORDER, "dockerd": FAKE_RECORDER}.items():
        (fakes / name).write_text(text)
        (fakes / name).chmod(0o755)
    swift_bin = temp / "swift-bin"
    swift_bin.mkdir()
    (swift_bin / "chatctl").write_text(FAKE_CHATCTL)
    (swift_bin / "chatctl").chmod(0o755)

    terraform_zip = temp / "terraform.zip"
    terraform_zip.write_bytes(fake_terraform_zip())

    # The stack's outputs as `describe-stacks` would return them: one per Outputs key of the template.
    template = cfn_yaml.load(ROOT / "infrastructure" / "ecs-task-definitions.yaml")
    outputs = [{"OutputKey": key, "OutputValue": f"fake-{key}"} for key in template["Outputs"]]
    (temp / "outputs.json").write_text(json.dumps(outputs))

    # The build project's environment: where Terraform goes (not this machine's /usr/local/bin), and the checksum
    # of the stand-in zip unless the scenario keeps the buildspec's (real) one.
    project_env = {"TERRAFORM_INSTALL_DIR": str(temp / "terraform-bin")}
    if not wrong_checksum:
        project_env["TERRAFORM_SHA256"] = hashlib.sha256(terraform_zip.read_bytes()).hexdigest()
    if allowlisted:
        allowlist = temp / "allowlist.json"
        allowlist.write_text(json.dumps({"allow": [{
            "id": FINDING, "services": ["chat"], "expires": "2999-12-31",
            "reason": "harness: the vulnerable code path is not reachable in this image"}]}))
        project_env["SCAN_ALLOWLIST"] = str(allowlist)
    if buildspec_path == DEPLOY_BUILDSPEC:
        # The pipeline's build action's artifact, as CodeBuild unpacks a secondary input.
        artifact = temp / "build-artifact"
        artifact.mkdir()
        (artifact / "image-tag.txt").write_text(COMMIT + "\n")
        shutil.copy2(swift_bin / "chatctl", artifact / "chatctl")
        # Staging in its own account: the deploy assumes its deployer role there.
        project_env.update({"ECS_CLUSTER": "chat-staging", "CODEDEPLOY_APP": "chat-staging", "TARGET_REGION": REGION,
                            "DEPLOY_ROLE_ARN": "arn:aws:iam::222222222222:role/chat-staging-deployer",
                            "SMOKE_GATEWAY_URL": "https://api.staging.example.com:8443",
                            "STATIC_ASSETS_BUCKET": "chat-staging-static", "WEB_DISTRIBUTION_ID": "E2FAKE",
                            "CODEBUILD_SRC_DIR_build": str(artifact)})
    project_env.update(project or {})

    record = temp / "record.jsonl"
    record.touch()
    buildspec = yaml.safe_load((work / buildspec_path).read_text())
    script = temp / "emulator.sh"
    script.write_text(emulator(buildspec, work, project_env))
    env = {
        "PATH": f"{fakes}:{os.environ['PATH']}",
        "HOME": str(temp),
        "RECORD": str(record),
        "FAKE_ACCOUNT": ACCOUNT,
        "FAKE_STACK_OUTPUTS": str(temp / "outputs.json"),
        "FAKE_TEST_EXIT": str(test_exit),
        "FAKE_DOCKER_BUILD_FAIL": build_fail or "",
        "FAKE_EXISTING": existing,
        "FAKE_CRITICAL": critical,
        "FAKE_SMOKE_EXIT": str(smoke_exit),
        "FAKE_PREVIOUS_TAG": PREVIOUS,
        "FAKE_TERRAFORM_ZIP": str(terraform_zip),
        "FAKE_SWIFT_BIN": str(swift_bin),
        "AWS_DEFAULT_REGION": REGION,
        "CODEBUILD_RESOLVED_SOURCE_VERSION": COMMIT,
        "CODEBUILD_SRC_DIR": str(work),
    }
    shell = buildspec.get("env", {}).get("shell", "bash")
    result = subprocess.run([shell, str(script)], env=env, capture_output=True, text=True, timeout=120)
    entries = [json.loads(line) for line in record.read_text().splitlines() if line.strip()]
    return entries, work, result.stdout + result.stderr


def is_tool(tool: str, *argv: str):
    return lambda e: e["tool"] == tool and e["argv"][: len(argv)] == list(argv)


def first(entries, predicate, default=None):
    return next((i for i, e in enumerate(entries) if predicate(e)), default)


def last(entries, predicate, default=None):
    return max((i for i, e in enumerate(entries) if predicate(e)), default=default)


def in_order(entries: list[dict], steps: list[tuple[str, object]]) -> list[str]:
    """Each step (label, predicate) happened, and the first of each after the last of the one before."""
    problems, previous_label, previous_last = [], None, -1
    for label, predicate in steps:
        at = first(entries, predicate)
        if at is None:
            problems.append(f"{label}: never happened")
            continue
        if at < previous_last:
            problems.append(f"{label} started before {previous_label} was done")
        previous_label, previous_last = label, last(entries, predicate)
    return problems


def check_terraform(entries: list[dict], work: Path) -> list[str]:
    buildspec = yaml.safe_load((work / "buildspec.yml").read_text())
    version = str(buildspec["env"]["variables"]["TERRAFORM_VERSION"])
    url = f"https://releases.hashicorp.com/terraform/{version}/terraform_{version}_linux_amd64.zip"
    downloads = [e for e in entries if e["tool"] == "curl"]
    if not any(url in e["argv"] for e in downloads):
        return [f"Terraform {version} was not downloaded from {url}"]
    return []


def check_built(entries: list[dict], work: Path, services: list[str]) -> list[str]:
    problems = []
    builds = [e for e in entries if is_tool("docker", "build")(e)]
    built = {}
    for entry in builds:
        argv = entry["argv"]
        dockerfile = argv[argv.index("-f") + 1] if "-f" in argv else None
        image = argv[argv.index("-t") + 1] if "-t" in argv else None
        if argv[-1] != ".":
            problems.append(f"docker build without the repository root as context: {argv}")
        if f"BASE_REGISTRY={BASE_REGISTRY}" not in argv:
            problems.append(f"docker build of {image} does not take its base images from the pull-through cache ({BASE_REGISTRY})")
        built[image] = dockerfile
    for service in services:
        image = f"{REPO}/{service}:{COMMIT}"
        expected = f"docker/Dockerfiles/{service}.Dockerfile"
        if built.get(image) != expected:
            problems.append(f"{service}: expected `docker build -f {expected} -t {image}`, got {built.get(image)!r}")
        elif not (work / expected).is_file():
            problems.append(f"{expected} does not exist")
    if len(builds) != len(services):
        problems.append(f"{len(builds)} docker builds, expected {len(services)} ({' '.join(services) or 'none'})")
    pushed = sorted(e["argv"][1] for e in entries if is_tool("docker", "push")(e))
    if pushed != sorted(f"{REPO}/{s}:{COMMIT}" for s in services):
        problems.append(f"pushed {pushed}, expected {' '.join(services) or 'nothing'} tagged {COMMIT}")
    return problems


def check_scanned(entries: list[dict]) -> list[str]:
    scanned = {e["argv"][e["argv"].index("--repository-name") + 1].split("/")[-1]
               for e in entries if is_tool("aws", "ecr", "describe-image-scan-findings")(e)}
    waited = {e["argv"][e["argv"].index("--repository-name") + 1].split("/")[-1]
              for e in entries if is_tool("aws", "ecr", "wait", "image-scan-complete")(e)}
    problems = []
    if scanned != set(SERVICES) or waited != set(SERVICES):
        problems.append(f"scan findings read for {sorted(scanned)} (waited for {sorted(waited)}), expected all five")
    return problems


def check_deployed(entries: list[dict], image_tag: str = COMMIT) -> list[str]:
    problems = []
    deploy_at = first(entries, is_tool("aws", "cloudformation", "deploy"))
    if deploy_at is None:
        return ["no `aws cloudformation deploy`"]
    argv = entries[deploy_at]["argv"]
    if argv[argv.index("--template-file") + 1] != "infrastructure/ecs-task-definitions.yaml":
        problems.append("cloudformation deploy of another template")
    if f"ImageTag={image_tag}" not in argv:
        problems.append(f"cloudformation deploy without ImageTag={image_tag}")
    register_at = first(entries, is_tool("aws", "ecs", "register-task-definition"))
    create_at = first(entries, is_tool("aws", "deploy", "create-deployment"))
    if register_at is None or create_at is None:
        return problems + ["the api-gateway's blue/green deployment did not start"]
    taskdef = entries[register_at]["input"]
    if "{{" in taskdef or "<IMAGE1_NAME>" in taskdef:
        problems.append("taskdef.json registered with placeholders left")
    containers = json.loads(taskdef)["containerDefinitions"]
    images = {c["name"]: c["image"] for c in containers}
    if images.get("api-gateway") != f"{REPO}/api-gateway:{image_tag}":
        problems.append(f"api-gateway task definition registered with image {images.get('api-gateway')}")
    content = json.loads(entries[create_at]["input"])["revision"]["appSpecContent"]["content"]
    if "task-definition/chat-backend-api-gateway:42" not in content or "<TASK_DEFINITION>" in content:
        problems.append("the AppSpec does not name the registered task definition")
    smoke = [e for e in entries if e["tool"] == "chatctl"]
    if not smoke or smoke[0]["argv"][:1] != ["smoke"] or "--gateway" not in smoke[0]["argv"]:
        problems.append(f"the smoke test did not run as `chatctl smoke --gateway URL`: {smoke}")
    elif smoke[0]["argv"][smoke[0]["argv"].index("--gateway") + 1] != "fake-TestEndpoint":
        problems.append("the smoke test did not target the new gateway on the test listener (output TestEndpoint)")
    return problems


def check_order(entries: list[dict], steps: list[tuple[str, object]]) -> list[str]:
    return in_order(entries, steps)


STEPS_INSTALL = [("install Terraform (checksum-verified)", lambda e: e["tool"] == "curl"),
                 ("tests", lambda e: e["tool"] == "test.sh"),
                 ("build chatctl", lambda e: e["tool"] == "swift" and "--product" in e["argv"])]
STEPS_RELEASE = [("scan gate", is_tool("aws", "ecr", "describe-image-scan-findings")),
                 ("stack deployment", lambda e: is_tool("aws", "cloudformation", "deploy")(e) and f"ImageTag={COMMIT}" in e["argv"]),
                 ("gateway blue/green deployment", is_tool("aws", "deploy", "create-deployment")),
                 ("green tasks ready", is_tool("aws", "deploy", "get-deployment")),
                 ("smoke test", lambda e: e["tool"] == "chatctl")]
STEPS_SHIFT = [("production traffic", is_tool("aws", "deploy", "continue-deployment")),
               ("deployment succeeded", is_tool("aws", "deploy", "wait", "deployment-successful"))]
STEP_IMAGES = [("images (tags ECR lacks)", is_tool("docker", "build")), ("pushes", is_tool("docker", "push"))]


def succeeded(entries) -> list[str]:
    return [] if entries[-1] == {"tool": "result", "argv": ["1"]} else ["the build did not succeed"]


def failed(entries) -> list[str]:
    return [] if entries[-1] == {"tool": "result", "argv": ["0"]} else ["the build did not fail"]


def nothing_shipped(entries: list[dict], work: Path) -> list[str]:
    problems = []
    for e in entries:
        if is_tool("docker", "push")(e):
            problems.append(f"pushed {e['argv'][1]}")
        if e["tool"] == "aws" and e["argv"][:2] in (["cloudformation", "deploy"], ["deploy", "create-deployment"],
                                                  ["ecs", "register-task-definition"]):
            problems.append("deployed: aws " + " ".join(e["argv"][:2]))
    if (work / "imagedefinitions.json").exists():
        problems.append("imagedefinitions.json was written")
    return problems + failed(entries)


def check_pass(entries, work):
    problems = check_terraform(entries, work) + check_built(entries, work, SERVICES) + check_scanned(entries)
    problems += check_deployed(entries) + check_order(entries, STEPS_INSTALL + STEP_IMAGES + STEPS_RELEASE + STEPS_SHIFT)
    logins = [e for e in entries if is_tool("docker", "login")(e)]
    if not logins or logins[0]["stdin"].strip() != "fake-ecr-password" or REGISTRY not in logins[0]["argv"]:
        problems.append("no `aws ecr get-login-password | docker login ... <registry>`")
    definitions_file = work / "imagedefinitions.json"
    if not definitions_file.exists():
        problems.append("imagedefinitions.json was not written")
    else:
        definitions = json.loads(definitions_file.read_text())
        expected = [{"name": s, "imageUri": f"{REPO}/{s}:{COMMIT}"} for s in SERVICES]
        if sorted(definitions, key=lambda d: d["name"]) != sorted(expected, key=lambda d: d["name"]):
            problems.append(f"imagedefinitions.json lists {definitions}")
    if not (work / "chatctl").exists() or (work / "image-tag.txt").read_text().strip() != COMMIT:
        problems.append("chatctl and image-tag.txt (the pipeline's artifacts) were not left in the source folder")
    return problems + succeeded(entries)


def check_retry(entries, work):
    # api-gateway and auth were pushed by an earlier attempt of the same commit.
    problems = check_built(entries, work, ["user", "chat", "notification"]) + check_scanned(entries)
    problems += check_deployed(entries) + check_order(entries, STEPS_INSTALL + STEP_IMAGES + STEPS_RELEASE + STEPS_SHIFT)
    return problems + succeeded(entries)


def check_scan_blocks(entries, work):
    problems = check_built(entries, work, SERVICES)
    if not any(is_tool("aws", "ecr", "describe-image-scan-findings")(e) for e in entries):
        problems.append("the scan findings were never read")
    for e in entries:
        if e["tool"] == "aws" and e["argv"][:2] in (["cloudformation", "deploy"], ["deploy", "create-deployment"]):
            problems.append("deployed although chat has a critical finding: aws " + " ".join(e["argv"][:2]))
    return problems + failed(entries)


def check_scan_allowed(entries, work):
    return check_built(entries, work, SERVICES) + check_scanned(entries) + check_deployed(entries) + succeeded(entries)


def check_smoke_fails(entries, work):
    problems = check_deployed(entries) + check_order(entries, STEPS_INSTALL + STEP_IMAGES + STEPS_RELEASE + [
        ("stop and roll back the gateway", is_tool("aws", "deploy", "stop-deployment"))])
    stops = [e for e in entries if is_tool("aws", "deploy", "stop-deployment")(e)]
    if not stops or "--auto-rollback-enabled" not in stops[0]["argv"]:
        problems.append("the gateway's deployment was not stopped with --auto-rollback-enabled")
    if any(is_tool("aws", "deploy", "continue-deployment")(e) for e in entries):
        problems.append("production traffic moved to the release that failed its smoke test")
    deploys = [e["argv"] for e in entries if is_tool("aws", "cloudformation", "deploy")(e)]
    if len(deploys) != 2 or f"ImageTag={PREVIOUS}" not in deploys[-1]:
        problems.append(f"the rolling services were not returned to the previous ImageTag {PREVIOUS}: {deploys}")
    return problems + failed(entries)


def check_wrong_checksum(entries, work):
    problems = nothing_shipped(entries, work)
    for tool in ("test.sh", "docker", "swift"):
        if any(e["tool"] == tool and e["argv"][:1] != ["info"] for e in entries):
            problems.append(f"{tool} ran although Terraform's checksum did not match")
    return problems


def check_build_only(entries, work):
    problems = check_built(entries, work, SERVICES) + check_scanned(entries)
    for e in entries:
        if e["tool"] == "chatctl" or (e["tool"] == "aws" and e["argv"][:2] in (["cloudformation", "deploy"],
                                                                             ["deploy", "create-deployment"])):
            problems.append(f"deployed with STACK_NAME empty: {e['tool']} {' '.join(e['argv'][:2])}")
    return problems + succeeded(entries)


STAGING_REPO = f"222222222222.dkr.ecr.{REGION}.amazonaws.com/chat-backend"


def check_ecs_release(entries: list[dict]) -> list[str]:
    """The Terraform platform's services, in the target's account (its deployer role assumed first, the replicated
    images found there): each rolling one moved to a new revision of its family with the release's image (helpers
    running the same image too, the collector untouched), the gateway's revision deployed by CodeDeploy, the smoke test
    on the given test listener."""
    problems = in_order(entries, [("assume the target's deployer role", is_tool("aws", "sts", "assume-role")),
                                  ("the replicated images found", is_tool("aws", "ecr", "describe-images")),
                                  ("new revisions", is_tool("aws", "ecs", "register-task-definition"))])
    registered = [json.loads(e["input"]) for e in entries if is_tool("aws", "ecs", "register-task-definition")(e)]
    families = {r["family"]: r for r in registered}
    for service in SERVICES:
        revision = families.get(f"chat-staging-{service}")
        if revision is None:
            problems.append(f"no new revision of chat-staging-{service}")
            continue
        images = [c["image"] for c in revision["containerDefinitions"]]
        if images[:2] != [f"{STAGING_REPO}/{service}:{COMMIT}"] * 2 or "aws-otel-collector" not in images[2]:
            problems.append(f"{service}'s revision runs {images}")
        if "revision" in revision or "taskDefinitionArn" in revision:
            problems.append(f"{service}'s revision keeps read-only fields")
    updated = {e["argv"][e["argv"].index("--service") + 1] for e in entries if is_tool("aws", "ecs", "update-service")(e)}
    if updated != {"auth", "user", "chat", "notification"}:
        problems.append(f"update-service for {sorted(updated)}, expected the four rolling services")
    create_at = first(entries, is_tool("aws", "deploy", "create-deployment"))
    if create_at is None:
        return problems + ["the api-gateway's blue/green deployment did not start"]
    deployment = json.loads(entries[create_at]["input"])
    if deployment["applicationName"] != "chat-staging" or deployment["deploymentGroupName"] != "api-gateway":
        problems.append(f"CodeDeploy deployment of {deployment['applicationName']}/{deployment['deploymentGroupName']}")
    smoke = [e for e in entries if e["tool"] == "chatctl"]
    if not smoke or smoke[0]["argv"] != ["smoke", "--gateway", "https://api.staging.example.com:8443"]:
        problems.append(f"the smoke test did not run against the test listener: {smoke}")
    for e in entries:
        if e["tool"] in ("docker", "swift", "test.sh") or is_tool("aws", "cloudformation", "deploy")(e):
            problems.append(f"the deploy action built, tested or deployed a stack: {e['tool']} {' '.join(e['argv'][:2])}")
    return problems


WEB_CLIENT = [("web client uploaded", lambda e: is_tool("aws", "s3")(e) and "s3://chat-staging-static/" in " ".join(e["argv"])),
              ("CloudFront invalidated", lambda e: is_tool("aws", "cloudfront", "create-invalidation")(e) and "E2FAKE" in e["argv"])]


def check_deploy_action(entries, work):
    steps = [("rolling services updated", is_tool("aws", "ecs", "update-service")),
             ("rolling services stable", is_tool("aws", "ecs", "wait", "services-stable"))] + STEPS_RELEASE[2:] + STEPS_SHIFT
    return check_ecs_release(entries) + check_order(entries, steps + WEB_CLIENT) + succeeded(entries)


def check_deploy_action_smoke_fails(entries, work):
    problems = check_ecs_release(entries)
    if not any(is_tool("aws", "deploy", "stop-deployment")(e) and "--auto-rollback-enabled" in e["argv"] for e in entries):
        problems.append("the gateway's deployment was not stopped with --auto-rollback-enabled")
    if any(is_tool("aws", "deploy", "continue-deployment")(e) for e in entries):
        problems.append("production traffic moved to the release that failed its smoke test")
    if any(is_tool("aws", "s3")(e) or is_tool("aws", "cloudfront")(e) for e in entries):
        problems.append("the web client was uploaded although the release failed its smoke test")
    back = {e["argv"][e["argv"].index("--service") + 1]: e["argv"][e["argv"].index("--task-definition") + 1]
            for e in entries[first(entries, lambda e: e["tool"] == "chatctl") or 0:] if is_tool("aws", "ecs", "update-service")(e)}
    for service in ("auth", "user", "chat", "notification"):
        if back.get(service) != f"arn:aws:ecs:eu-west-1:123456789012:task-definition/chat-staging-{service}:7":
            problems.append(f"{service} was not returned to its previous revision: {back.get(service)}")
    return problems + failed(entries)


SCENARIOS = {
    "pass": ("tests pass: Terraform verified, tests, chatctl, 5 images, pushes, scan gate, deployment, smoke test on "
             "the test listener, then production traffic", {}, check_pass),
    "tests-fail": ("tests fail: no image built, pushed or deployed", dict(test_exit=1),
                   lambda entries, work: nothing_shipped(entries, work)
                   + [f"built {e['argv']}" for e in entries if is_tool("docker", "build")(e)]),
    "build-fails": ("one image fails to build: nothing pushed or deployed", dict(build_fail="chat"), nothing_shipped),
    "retry": ("a retried build: images whose tag ECR has are not built or pushed again; scan and deployment still run",
              dict(existing="api-gateway auth"), check_retry),
    "scan-blocks": ("a CRITICAL scan finding: nothing deployed", dict(critical=f"chat:{FINDING}"), check_scan_blocks),
    "scan-allowed": ("a CRITICAL finding the allow-list excuses: deployed", dict(critical=f"chat:{FINDING}", allowlisted=True),
                     check_scan_allowed),
    "smoke-fails": ("the smoke test fails: the gateway's deployment stopped with rollback, the others back on the "
                    "previous tag, no production traffic", dict(smoke_exit=1), check_smoke_fails),
    "terraform-checksum": ("Terraform's download does not match its SHA-256: nothing runs after it",
                           dict(wrong_checksum=True), check_wrong_checksum),
    "build-only": ("STACK_NAME empty (the pipeline's build action): built, pushed, scanned, not deployed",
                   dict(project={"STACK_NAME": ""}), check_build_only),
    "deploy-action": ("deploy.buildspec.yml (the pipeline's deploy actions, Terraform's ECS services): a new revision "
                      "per service with the build's images, the gateway smoke-tested, production traffic, then the "
                      "web client to its bucket and CloudFront",
                      dict(buildspec_path=DEPLOY_BUILDSPEC, existing=" ".join(SERVICES)), check_deploy_action),
    "deploy-action-smoke-fails": ("deploy.buildspec.yml, smoke test fails: the gateway's deployment stopped with "
                                  "rollback, the services back on their previous revisions, the web client untouched",
                                  dict(buildspec_path=DEPLOY_BUILDSPEC, smoke_exit=1, existing=" ".join(SERVICES)),
                                  check_deploy_action_smoke_fails),
}


def main() -> int:
    chosen = sys.argv[1:] or list(SCENARIOS)
    failures = 0
    for name in chosen:
        title, arguments, check = SCENARIOS[name]
        entries, work, output = run_scenario(**arguments)
        problems = check(entries, work) if entries else ["nothing was recorded"]
        if problems:
            failures += 1
            print(f"FAIL buildspec: {title}")
            for problem in problems:
                print(f"     - {problem}")
            print("     output of the phases:\n" + "\n".join("       " + l for l in output.splitlines()[-30:]))
        else:
            print(title)
        shutil.rmtree(work.parent, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
