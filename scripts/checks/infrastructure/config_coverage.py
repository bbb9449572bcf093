#!/usr/bin/env python3
"""Keeps the infrastructure in step with the code and with itself.

- Every CHAT_ variable of Shared/ServiceKit/Configuration/ConfigKey.swift is provided on Kubernetes (ConfigMap,
  Deployment env or ExternalSecret) and on ECS (the Terraform platform module's task variables and secrets, or the ecs
  module's per-service ones); nothing provides a CHAT_ variable that the code does not read.
- The services' ports agree between the Terraform catalogue, the Kubernetes manifests and the Dockerfiles.
- The databases and Kafka topics of the catalogue are the ones the platform is specified with.
- The Kubernetes Ingress routes the same path prefixes to the same services as the ALB rules of the catalogue.
"""

from __future__ import annotations

import pathlib
import re
import sys

import hcl2
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[3]
TF = ROOT / "infrastructure" / "terraform"
K8S = ROOT / "infrastructure" / "k8s"

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import render_k8s  # noqa: E402

DATABASES = {"auth", "users", "chat", "notification", "gateway"}
TOPICS = {"chat.messages", "chat.events", "notification.dead-letter"}
NAME = re.compile(r"\bCHAT_[A-Z0-9_]+\b")


def code_lines(path: pathlib.Path) -> str:
    """The text of a .tf file without its comment lines."""
    return "\n".join(line for line in path.read_text().splitlines() if not line.strip().startswith(("#", "//")))


def unwrap(value):
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def main() -> int:
    errors: list[str] = []
    swift = (ROOT / "Shared" / "ServiceKit" / "Configuration" / "ConfigKey.swift").read_text()
    keys = set(re.findall(r'ConfigKey\(\s*"(CHAT_[A-Z0-9_]+)"', swift))
    if not keys:
        errors.append("no ConfigKey found in ConfigKey.swift")

    # Kubernetes.
    k8s_names: set[str] = set()
    for path in K8S.rglob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc:
                continue
            if doc["kind"] == "ConfigMap":
                k8s_names |= set(doc.get("data", {}))
            elif doc["kind"] == "ExternalSecret":
                k8s_names |= {item["secretKey"] for item in doc["spec"]["data"]}
            elif doc["kind"] == "Deployment":
                for container in doc["spec"]["template"]["spec"]["containers"]:
                    k8s_names |= {env["name"] for env in container.get("env", [])}

    # ECS through Terraform: the platform's task variables and secrets, and what the ecs module adds.
    ecs_names: set[str] = set()
    for path in [TF / "platform" / "main.tf", TF / "modules" / "ecs" / "services.tf"]:
        ecs_names |= set(NAME.findall(code_lines(path)))

    for where, names in (("Kubernetes", k8s_names), ("ECS (Terraform)", ecs_names)):
        for key in sorted(keys - names):
            errors.append(f"{where} does not provide {key}")
        for name in sorted(names - keys):
            errors.append(f"{where} provides {name}, which ConfigKey.swift does not declare")

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

    tf_routes = {}
    for name, svc in catalogue.items():
        for pattern in svc["path_patterns"] or []:
            tf_routes[pattern.removesuffix("/*")] = name
    ingress = yaml.safe_load((K8S / "ingress.yaml").read_text())
    k8s_routes = {
        p["path"]: p["backend"]["service"]["name"] for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]
    }
    default = k8s_routes.pop("/", None)
    if default != "api-gateway" or k8s_routes != tf_routes:
        errors.append(f"routes differ: ALB (Terraform) {tf_routes} + default api-gateway, Ingress {k8s_routes} + default {default}")

    print(f"{len(keys)} CHAT_ variables, {len(tf_ports)} services, {len(tf_routes)} routes")
    for error in errors:
        print(f"  {error}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
