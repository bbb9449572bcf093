#!/usr/bin/env python3
"""Runs the phases of buildspec.yml the way CodeBuild does, with every outside effect recorded.

In a temporary copy of the files the buildspec reads, with fake `docker`, `aws`, `apt-get` and
`dockerd` first on PATH, scripts/install.sh replaced by a recorder and scripts/test.sh by a
stub that passes or fails, it runs install, pre_build, build and post_build in one bash shell (CodeBuild's
semantics: a failed command ends its phase; a failure in install or pre_build ends the build;
post_build runs after a failed build with CODEBUILD_BUILD_SUCCEEDING=0). Then it checks, per
scenario, what was built, pushed and deployed, and in which order.

    buildspec_harness.py [pass|tests-fail|build-fails ...]   (default: all three)

Prints one line per scenario (its title, or "FAIL ..." with what went wrong) and exits 1 when
one failed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cfn_yaml  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
SERVICES = ["api-gateway", "auth", "user", "chat", "notification"]
COMMIT = "0123456789abcdef0123456789abcdef01234567"
ACCOUNT = "123456789012"
REGION = "eu-west-1"
REPO = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/chat-backend"
# What the buildspec reads from the repository (everything else stays out of the copy).
COPIED = ["buildspec.yml", "docker", "infrastructure/ecs-task-definitions.yaml", "infrastructure/codedeploy"]

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
if command == ["sts", "get-caller-identity"]:
    record(); print(os.environ["FAKE_ACCOUNT"])
elif command == ["ecr", "get-login-password"]:
    record(); print("fake-ecr-password")
elif command == ["cloudformation", "describe-stacks"]:
    record(); print(open(os.environ["FAKE_STACK_OUTPUTS"]).read())
elif command == ["ecs", "register-task-definition"]:
    record(input=file_arg("--cli-input-json"))
    print("arn:aws:ecs:eu-west-1:123456789012:task-definition/chat-backend-api-gateway:42")
elif command == ["deploy", "create-deployment"]:
    record(input=file_arg("--cli-input-json")); print("d-FAKE12345")
else:
    record()
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


def emulator(buildspec: dict, workdir: Path) -> str:
    """A bash script that runs the buildspec's phases with CodeBuild's semantics."""
    lines = ["cd " + json.dumps(str(workdir))]
    for key, value in (buildspec.get("env", {}).get("variables") or {}).items():
        lines.append(f"export {key}={json.dumps(str(value))}")
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


def run_scenario(test_exit: int, build_fail: str | None) -> tuple[list[dict], Path, str]:
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
    for name, text in {"docker": FAKE_DOCKER, "aws": FAKE_AWS, "apt-get": FAKE_RECORDER,
                       "dockerd": FAKE_RECORDER}.items():
        (fakes / name).write_text(text)
        (fakes / name).chmod(0o755)

    # The stack's outputs as `describe-stacks` would return them: one per Outputs key of the template.
    template = cfn_yaml.load(ROOT / "infrastructure" / "ecs-task-definitions.yaml")
    outputs = [{"OutputKey": key, "OutputValue": f"fake-{key}"} for key in template["Outputs"]]
    (temp / "outputs.json").write_text(json.dumps(outputs))

    record = temp / "record.jsonl"
    record.touch()
    buildspec = yaml.safe_load((work / "buildspec.yml").read_text())
    script = temp / "emulator.sh"
    script.write_text(emulator(buildspec, work))
    env = {
        "PATH": f"{fakes}:{os.environ['PATH']}",
        "HOME": str(temp),
        "RECORD": str(record),
        "FAKE_ACCOUNT": ACCOUNT,
        "FAKE_STACK_OUTPUTS": str(temp / "outputs.json"),
        "FAKE_TEST_EXIT": str(test_exit),
        "FAKE_DOCKER_BUILD_FAIL": build_fail or "",
        "AWS_DEFAULT_REGION": REGION,
        "CODEBUILD_RESOLVED_SOURCE_VERSION": COMMIT,
        "CODEBUILD_SRC_DIR": str(work),
    }
    shell = buildspec.get("env", {}).get("shell", "bash")
    result = subprocess.run([shell, str(script)], env=env, capture_output=True, text=True, timeout=120)
    entries = [json.loads(line) for line in record.read_text().splitlines() if line.strip()]
    return entries, work, result.stdout + result.stderr


def index_of(entries, predicate, default=None):
    return next((i for i, e in enumerate(entries) if predicate(e)), default)


def check_success(entries: list[dict], work: Path) -> list[str]:
    problems = []
    tag = COMMIT
    is_tool = lambda tool, *argv: (lambda e: e["tool"] == tool and e["argv"][: len(argv)] == list(argv))
    builds = [e for e in entries if is_tool("docker", "build")(e)]
    pushes = [e for e in entries if is_tool("docker", "push")(e)]

    test_at = index_of(entries, lambda e: e["tool"] == "test.sh")
    if test_at is None:
        problems.append("scripts/test.sh never ran")
    first_build = index_of(entries, is_tool("docker", "build"))
    first_push = index_of(entries, is_tool("docker", "push"))
    if test_at is not None and first_build is not None and first_build < test_at:
        problems.append("an image was built before the tests ran")
    if test_at is not None and first_push is not None and first_push < test_at:
        problems.append("an image was pushed before the tests ran")

    built = {}
    for entry in builds:
        argv = entry["argv"]
        dockerfile = argv[argv.index("-f") + 1] if "-f" in argv else None
        image = argv[argv.index("-t") + 1] if "-t" in argv else None
        if argv[-1] != ".":
            problems.append(f"docker build without the repository root as context: {argv}")
        built[image] = dockerfile
    for service in SERVICES:
        image = f"{REPO}/{service}:{tag}"
        expected = f"docker/Dockerfiles/{service}.Dockerfile"
        if built.get(image) != expected:
            problems.append(f"{service}: expected `docker build -f {expected} -t {image}`, got {built.get(image)!r}")
        elif not (work / expected).is_file():
            problems.append(f"{expected} does not exist")
    if len(builds) != 5:
        problems.append(f"{len(builds)} docker builds, expected 5")

    pushed = [e["argv"][1] for e in pushes]
    if sorted(pushed) != sorted(f"{REPO}/{s}:{tag}" for s in SERVICES):
        problems.append(f"pushed {pushed}, expected the five images tagged {tag}")
    last_build = max((i for i, e in enumerate(entries) if is_tool("docker", "build")(e)), default=None)
    if first_push is not None and last_build is not None and first_push < last_build:
        problems.append("a push happened before every image was built")

    logins = [e for e in entries if is_tool("docker", "login")(e)]
    if not logins or logins[0]["stdin"].strip() != "fake-ecr-password" or f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com" not in logins[0]["argv"]:
        problems.append("no `aws ecr get-login-password | docker login ... <registry>`")

    definitions_file = work / "imagedefinitions.json"
    if not definitions_file.exists():
        problems.append("imagedefinitions.json was not written")
    else:
        definitions = json.loads(definitions_file.read_text())
        expected = [{"name": s, "imageUri": f"{REPO}/{s}:{tag}"} for s in SERVICES]
        if sorted(definitions, key=lambda d: d["name"]) != sorted(expected, key=lambda d: d["name"]):
            problems.append(f"imagedefinitions.json lists {definitions}")

    deploy_at = index_of(entries, is_tool("aws", "cloudformation", "deploy"))
    if deploy_at is None:
        problems.append("no `aws cloudformation deploy`")
    else:
        argv = entries[deploy_at]["argv"]
        if argv[argv.index("--template-file") + 1] != "infrastructure/ecs-task-definitions.yaml":
            problems.append("cloudformation deploy of another template")
        if f"ImageTag={tag}" not in argv:
            problems.append(f"cloudformation deploy without ImageTag={tag}")
        if first_push is None or deploy_at < max(i for i, e in enumerate(entries) if is_tool("docker", "push")(e)):
            problems.append("cloudformation deploy before every image was pushed")

    register_at = index_of(entries, is_tool("aws", "ecs", "register-task-definition"))
    create_at = index_of(entries, is_tool("aws", "deploy", "create-deployment"))
    if register_at is None or create_at is None:
        problems.append("the api-gateway's blue/green deployment did not start")
    else:
        taskdef = entries[register_at]["input"]
        if "{{" in taskdef or "<IMAGE1_NAME>" in taskdef:
            problems.append("taskdef.json registered with placeholders left")
        image = json.loads(taskdef)["containerDefinitions"][0]["image"]
        if image != f"{REPO}/api-gateway:{tag}":
            problems.append(f"api-gateway task definition registered with image {image}")
        deployment = json.loads(entries[create_at]["input"])
        content = deployment["revision"]["appSpecContent"]["content"]
        if "task-definition/chat-backend-api-gateway:42" not in content or "<TASK_DEFINITION>" in content:
            problems.append("the AppSpec does not name the registered task definition")
        if deploy_at is not None and create_at < deploy_at:
            problems.append("CodeDeploy deployment before the stack update")
    if entries[-1] != {"tool": "result", "argv": ["1"]}:
        problems.append("the build did not succeed")
    return problems


def check_nothing_shipped(entries: list[dict], work: Path) -> list[str]:
    problems = []
    for e in entries:
        if e["tool"] == "docker" and e["argv"][:1] == ["push"]:
            problems.append(f"pushed {e['argv'][1]}")
        if e["tool"] == "aws" and e["argv"][:2] in (["cloudformation", "deploy"], ["deploy", "create-deployment"],
                                                  ["ecs", "register-task-definition"]):
            problems.append("deployed: aws " + " ".join(e["argv"][:2]))
    if (work / "imagedefinitions.json").exists():
        problems.append("imagedefinitions.json was written")
    if entries[-1] != {"tool": "result", "argv": ["0"]}:
        problems.append("the build did not fail")
    return problems


SCENARIOS = {
    "pass": ("tests pass: tests, then 5 builds, 5 pushes, imagedefinitions.json, deployment",
             dict(test_exit=0, build_fail=None), check_success),
    "tests-fail": ("tests fail: no image built, pushed or deployed",
                   dict(test_exit=1, build_fail=None),
                   lambda entries, work: check_nothing_shipped(entries, work)
                   + [f"built {e['argv']}" for e in entries if e["tool"] == "docker" and e["argv"][:1] == ["build"]]),
    "build-fails": ("one image fails to build: nothing pushed or deployed",
                    dict(test_exit=0, build_fail="chat"), check_nothing_shipped),
}


def main() -> int:
    chosen = sys.argv[1:] or list(SCENARIOS)
    failed = 0
    for name in chosen:
        title, arguments, check = SCENARIOS[name]
        entries, work, output = run_scenario(**arguments)
        problems = check(entries, work) if entries else ["nothing was recorded"]
        if problems:
            failed += 1
            print(f"FAIL buildspec: {title}")
            for problem in problems:
                print(f"     - {problem}")
            print("     output of the phases:\n" + "\n".join("       " + l for l in output.splitlines()[-30:]))
        else:
            print(title)
        shutil.rmtree(work.parent, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
