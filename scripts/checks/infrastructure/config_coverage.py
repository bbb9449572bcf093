#!/usr/bin/env python3
"""Keeps the infrastructure in step with the code and with itself.

- Every CHAT_ variable of Shared/ServiceKit/Configuration/ConfigKey.swift is provided on Kubernetes (ConfigMap,
  Deployment env or ExternalSecret, in the build of each overlay: staging and production) and on ECS (the Terraform platform module's task variables and secrets, or the ecs
  module's per-service ones), except those each platform leaves unset on purpose (below); nothing provides a CHAT_
  variable that the code does not read.
- Each Kubernetes Deployment's service container (the gateway's canary track included: the service is the pods'
  app.kubernetes.io/name) gets exactly the variables its service reads: the per-service sets (api-gateway only,
  auth only, chat only, notification only, shared by some, local stack only) are those of
  scripts/checks/containers/static_checks.py (READERS, LOCAL_ONLY).
  The same sets hold for the platform module's shared and per-service task variables. Local-use switches
  (LOCAL_USE_FALSE, e.g. CHAT_PUSH_ALLOW_PRIVATE_TARGETS) are "false" on Kubernetes and ECS.
- Secret variables come from secret stores: on Kubernetes from an ExternalSecret, never a ConfigMap or a plain env
  value; on ECS from the platform's service_secrets, never its plain task variables.
- The services' ports agree between the Terraform catalogue, the Kubernetes manifests and the Dockerfiles.
- The databases and Kafka topics of the catalogue are the ones the platform is specified with.
- Only the api-gateway is public: it is the one public service of the catalogue (the ALB's only target group, every
  path its listeners' default action, no path rules to other services), the Ingress's only backend (every path,
  WebSocket upgrades included; through the weighted action, every target Service selects gateway pods), and both load
  balancers keep idle connections (WebSockets) at least 300 s. The other services are ClusterIP Services whose
  NetworkPolicies admit neither the whole VPC nor the ALB's public subnets (of each overlay's VPC), and the gateway
  reaches them by internal names (Cloud Map on ECS, the Services' cluster DNS names on Kubernetes).
"""

from __future__ import annotations

import ipaddress
import pathlib
import re
import sys

import hcl2
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[3]
TF = ROOT / "infrastructure" / "terraform"
K8S = ROOT / "infrastructure" / "k8s"

sys.path.insert(0, str(pathlib.Path(__file__).parent))
sys.path.insert(0, str(ROOT / "scripts" / "checks" / "containers"))
import render_k8s  # noqa: E402
import validate_k8s  # noqa: E402
from static_checks import LOCAL_ONLY, LOCAL_USE_FALSE, READERS, SECRET, variables_for  # noqa: E402

# auth and user share identity (ServiceName.databaseName); scripts/stack.sh creates the same four.
DATABASES = {"identity", "chat", "notification", "gateway"}
# Variables each platform leaves unset on purpose (LOCAL_ONLY variables are unset everywhere).
UNSET_ON_KUBERNETES = {
    "CHAT_JWT_SIGNING_KEY": "auth's key is a mounted Secret file (CHAT_JWT_SIGNING_KEY_FILE), never an env value",
}
UNSET_ON_ECS = {
    "CHAT_JWT_SIGNING_KEY_FILE": "ECS injects the key from Secrets Manager as CHAT_JWT_SIGNING_KEY",
}
TOPICS = {"chat.messages", "chat.events", "notification.dead-letter", "identity.events"}
PUBLIC_SERVICE = "api-gateway"
MIN_IDLE_TIMEOUT_SECONDS = 300  # WebSocket connections pass the load balancer
UPSTREAMS = {"CHAT_UPSTREAM_AUTH": "auth", "CHAT_UPSTREAM_USER": "user", "CHAT_UPSTREAM_CHAT": "chat",
             "CHAT_UPSTREAM_NOTIFICATION": "notification"}
NAME = re.compile(r"\bCHAT_[A-Z0-9_]+\b")


def code_lines(path: pathlib.Path) -> str:
    """The text of a .tf file without its comment lines."""
    return "\n".join(line for line in path.read_text().splitlines() if not line.strip().startswith(("#", "//")))


def unwrap(value):
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def public_entry(catalogue: dict, platform: dict, overlays: dict[str, list[dict]]) -> list[str]:
    """Only the gateway is public, on ECS (Terraform) and on Kubernetes; the others are reached by internal names."""
    errors = []
    public = sorted(name for name, svc in catalogue.items() if unwrap(svc.get("public")) is True)
    if public != [PUBLIC_SERVICE]:
        errors.append(f"the services catalogue makes {public} public; only {PUBLIC_SERVICE} may be")
    for name, svc in catalogue.items():
        for field in ("path_patterns", "priority"):
            if field in svc:
                errors.append(f"the services catalogue gives {name} {field}: no ALB rule may route past the gateway")
    alb = code_lines(TF / "modules" / "ecs" / "alb.tf")
    if "aws_lb_listener_rule" in alb:
        errors.append("terraform/modules/ecs/alb.tf has listener rules: every request goes to the gateway (default action)")
    with (TF / "modules" / "ecs" / "variables.tf").open() as handle:
        ecs_variables = {name: unwrap(body) for v in hcl2.load(handle)["variable"] for name, body in v.items()}
    idle = unwrap(ecs_variables["idle_timeout_seconds"].get("default"))
    if not isinstance(idle, (int, float)) or idle < MIN_IDLE_TIMEOUT_SECONDS:
        errors.append(f"the ALB's idle timeout defaults to {idle}, below {MIN_IDLE_TIMEOUT_SECONDS} s (WebSockets)")

    gateway_env = unwrap(platform["service_environment"]).get(PUBLIC_SERVICE, {})
    # The gateway's upstreams are Cloud Map names: of this region's namespace, or (the second region) the writer
    # region's, reached over the peering; nothing else.
    namespace = re.sub(r"\s+", "", str(unwrap(platform.get("upstream_namespace", ""))))
    if namespace not in ("${local.namespace}", "${local.writes?local.namespace:var.writer.service_discovery_namespace}"):
        errors.append(f"ECS (Terraform): upstream_namespace is {namespace!r}, not this region's or the writer region's Cloud Map namespace")
    for variable, service in UPSTREAMS.items():
        # python-hcl2 keeps an interpolated string as ${"..."}.
        url = re.sub(r'^\$\{"(.*)"\}$', r"\1", str(gateway_env.get(variable, "")))
        if not url.startswith(f"http://{service}.${{local.upstream_namespace}}:"):
            errors.append(f"ECS (Terraform): the gateway's {variable} is {url!r}, not {service}'s Cloud Map name")
        k8s_url = render_k8s.SERVICE_ENV[PUBLIC_SERVICE].get(variable, "")
        if not k8s_url.startswith(f"http://{service}:") and not k8s_url.startswith(f"http://{service}.chat.svc"):
            errors.append(f"Kubernetes: the gateway's {variable} is {k8s_url!r}, not {service}'s Service")

    for overlay, docs in overlays.items():
        errors += [f"overlays/{overlay}: {e}" for e in public_entry_k8s(overlay, docs)]
    return errors


def public_entry_k8s(overlay: str, docs: list[dict]) -> list[str]:
    errors = []
    services = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service"}
    ingresses = [d for d in docs if d["kind"] == "Ingress"]
    if len(ingresses) != 1:
        errors.append(f"{len(ingresses)} Ingresses; expected one, in front of the gateway")
    for ingress in ingresses:
        if "defaultBackend" in ingress["spec"]:
            errors.append("the Ingress has a default backend; every path must name the gateway")
        backends = validate_k8s.ingress_backends(ingress)
        # A backend is the gateway when its Service selects gateway pods (its stable and canary tracks).
        for backend in backends:
            selector = services.get(backend["name"], {}).get("spec", {}).get("selector", {})
            if selector.get("app.kubernetes.io/name") != PUBLIC_SERVICE:
                errors.append(f"the Ingress routes to {backend['name']}; only {PUBLIC_SERVICE}'s pods may be its backend")
        if not any(b["path"] == "/" and b.get("pathType") == "Prefix" for b in backends):
            errors.append("the Ingress has no Prefix path / to the gateway (every path, /v1/ws included)")
        attributes = ingress["metadata"].get("annotations", {}).get("alb.ingress.kubernetes.io/load-balancer-attributes", "")
        match = re.search(r"idle_timeout\.timeout_seconds=(\d+)", attributes)
        if not match or int(match.group(1)) < MIN_IDLE_TIMEOUT_SECONDS:
            errors.append(f"the Ingress's ALB idle timeout is not set to at least {MIN_IDLE_TIMEOUT_SECONDS} s (WebSockets)")

    environment = yaml.safe_load((K8S / "overlays" / overlay / "environment.yaml").read_text())["data"]
    vpc = ipaddress.ip_network(environment["vpc_cidr"])
    # The ALB's public subnets: the first three /24 of the VPC (terraform/modules/vpc, cidrsubnet(vpc, 8, 0..2)).
    public_subnets = list(vpc.subnets(new_prefix=24))[:3]
    for doc in docs:
        name = doc.get("metadata", {}).get("name")
        if name == PUBLIC_SERVICE or name not in render_k8s.SERVICES:
            continue
        if doc["kind"] == "Service" and doc["spec"].get("type", "ClusterIP") != "ClusterIP":
            errors.append(f"Kubernetes Service {name} is {doc['spec']['type']}; only the gateway is reachable from outside")
        if doc["kind"] == "NetworkPolicy":
            for rule in doc["spec"].get("ingress", []):
                for peer in rule.get("from", []) or [{}]:
                    if "ipBlock" not in peer:
                        continue
                    block = ipaddress.ip_network(peer["ipBlock"]["cidr"])
                    if block.supernet_of(vpc) or any(block.overlaps(s) for s in public_subnets):
                        errors.append(f"NetworkPolicy {name} admits {block}, which holds the ALB: only the gateway is public")
    return errors


def main() -> int:
    errors: list[str] = []
    swift = (ROOT / "Shared" / "ServiceKit" / "Configuration" / "ConfigKey.swift").read_text()
    keys = set(re.findall(r'ConfigKey\(\s*"(CHAT_[A-Z0-9_]+)"', swift))
    if not keys:
        errors.append("no ConfigKey found in ConfigKey.swift")

    # Kubernetes: what each Deployment gets through envFrom (the ConfigMap, Secrets made by ExternalSecrets) and env,
    # in the build of each overlay.
    overlays = {}
    for overlay in validate_k8s.OVERLAYS:
        built, output = validate_k8s.build(overlay)
        if not built:
            errors.append(f"kubectl kustomize overlays/{overlay} failed: {output}")
        overlays[overlay] = built
    k8s_names: set[str] = set()
    for overlay, docs in overlays.items():
        k8s_names |= kubernetes_variables(overlay, docs, keys, errors)

    ecs_names = ecs_variables(keys, errors)
    return finish(keys, k8s_names, ecs_names, overlays, errors)


def kubernetes_variables(overlay: str, docs: list[dict], keys: set[str], errors: list[str]) -> set[str]:
    config_maps = {d["metadata"]["name"]: set(d.get("data", {})) for d in docs if d["kind"] == "ConfigMap"}
    secrets = {d["spec"]["target"]["name"]: {item["secretKey"] for item in d["spec"]["data"]}
               for d in docs if d["kind"] == "ExternalSecret"}
    k8s_names: set[str] = set()
    for doc in docs:
        if doc["kind"] != "Deployment":
            continue
        service = doc["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"]
        for container in doc["spec"]["template"]["spec"]["containers"]:
            if container["name"] != service:
                continue  # the collector beside it reads no CHAT_ variable
            from_config = set().union(*[config_maps.get(s["configMapRef"]["name"], set())
                                        for s in container.get("envFrom", []) if "configMapRef" in s])
            from_secrets = set().union(*[secrets.get(s["secretRef"]["name"], set())
                                         for s in container.get("envFrom", []) if "secretRef" in s])
            plain = {env["name"] for env in container.get("env", []) if "value" in env}
            from_env = {env["name"] for env in container.get("env", [])}
            names = {n for n in from_config | from_secrets | from_env if n.startswith("CHAT_")}
            k8s_names |= names
            where = f"Kubernetes (overlays/{overlay}) Deployment {doc['metadata']['name']}"
            expected = variables_for(service, keys) - set(UNSET_ON_KUBERNETES)
            for missing in sorted(expected - names):
                errors.append(f"{where} does not get {missing}")
            for extra in sorted((names & keys) - expected):
                errors.append(f"{where} gets {extra}, which its service does not read (or which is unset on purpose)")
            for env in container.get("env", []):
                if env["name"] in LOCAL_USE_FALSE and str(env.get("value")).lower() != "false":
                    errors.append(f"{where} sets {env['name']} to {env.get('value')!r}: local use only, must be \"false\"")
            for exposed in sorted((from_config | plain) & SECRET):
                errors.append(f"{where} gets the secret {exposed} from a ConfigMap or a plain value, not an ExternalSecret")
    return k8s_names


def ecs_variables(keys: set[str], errors: list[str]) -> set[str]:
    # ECS through Terraform: the platform's task variables and secrets, and what the ecs module adds.
    ecs_names: set[str] = set()
    for path in [TF / "platform" / "main.tf", TF / "modules" / "ecs" / "services.tf"]:
        ecs_names |= set(NAME.findall(code_lines(path)))
    with (TF / "platform" / "main.tf").open() as handle:
        platform = unwrap(hcl2.load(handle)["locals"])
    shared = set(unwrap(platform["environment_variables"]))
    per_service = {name: set(variables) for name, variables in unwrap(platform["service_environment"]).items()}
    for exposed in sorted((shared | set().union(*per_service.values())) & SECRET):
        errors.append(f"ECS (Terraform): the secret {exposed} is a plain task variable, not one of service_secrets")
    for service, variables in unwrap(platform["service_environment"]).items():
        for name in sorted(set(variables) & LOCAL_USE_FALSE):
            if str(unwrap(variables[name])).lower() != "false":
                errors.append(f"ECS (Terraform): {service} sets {name} to {variables[name]!r}: local use only, must be \"false\"")
    for name in sorted(shared & LOCAL_USE_FALSE):
        if str(unwrap(platform["environment_variables"])[name]).lower() != "false":
            errors.append(f"ECS (Terraform): {name} must be \"false\" (local use only)")
    for name in sorted(shared & (set(READERS) | set(LOCAL_ONLY))):
        errors.append(f"ECS (Terraform): {name} is among every task's variables, but not every service reads it")
    for service, names in per_service.items():
        for name in sorted(names - variables_for(service, keys)):
            errors.append(f"ECS (Terraform): {service} gets {name}, which it does not read")
    return ecs_names


def finish(keys: set[str], k8s_names: set[str], ecs_names: set[str], overlays: dict[str, list[dict]],
           errors: list[str]) -> int:
    with (TF / "platform" / "main.tf").open() as handle:
        platform = unwrap(hcl2.load(handle)["locals"])

    for where, names, unset in (("Kubernetes", k8s_names, UNSET_ON_KUBERNETES), ("ECS (Terraform)", ecs_names, UNSET_ON_ECS)):
        for key in sorted(keys - names - set(LOCAL_ONLY) - set(unset)):
            errors.append(f"{where} does not provide {key}")
        for name in sorted(names - keys):
            errors.append(f"{where} provides {name}, which ConfigKey.swift does not declare")
        for name in sorted(names & (set(LOCAL_ONLY) | set(unset))):
            errors.append(f"{where} provides {name}, which it leaves unset on purpose")

    # Ports, databases, topics, routes.
    with (TF / "modules" / "services" / "main.tf").open() as handle:
        catalogue = unwrap(unwrap(hcl2.load(handle)["locals"])["catalogue"])
    tf_ports = {name: unwrap(svc["port"]) for name, svc in catalogue.items()}
    k8s_ports = {name: svc["port"] for name, svc in render_k8s.SERVICES.items()}
    if tf_ports != k8s_ports:
        errors.append(f"ports differ: Terraform {tf_ports}, Kubernetes {k8s_ports}")
    for name, port in tf_ports.items():
        dockerfile = ROOT / "docker" / "Dockerfiles" / f"{name}.Dockerfile"
        if dockerfile.exists():
            match = re.search(r"^ARG SERVICE_PORT=(\d+)", dockerfile.read_text(), re.M)
            if not match or int(match.group(1)) != port:
                errors.append(f"{dockerfile.relative_to(ROOT)} does not declare SERVICE_PORT={port}")

    databases = {unwrap(svc["database"]) for svc in catalogue.values()}
    if databases != DATABASES:
        errors.append(f"databases {sorted(databases)} differ from {sorted(DATABASES)}")
    topics = {t for svc in catalogue.values() for key in ("kafka_produce", "kafka_consume") for t in (svc[key] or [])}
    if topics != TOPICS:
        errors.append(f"topics {sorted(topics)} differ from {sorted(TOPICS)}")

    errors += public_entry(catalogue, platform, overlays)

    print(f"{len(keys)} CHAT_ variables, {len(tf_ports)} services, one public entry point ({PUBLIC_SERVICE})")
    for error in errors:
        print(f"  {error}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
