#!/usr/bin/env python3
"""Validates infrastructure/k8s offline.

1. The generated manifests are what render_k8s.py renders (no hand edits drifting from the template).
2. Every YAML file under infrastructure/k8s is used by a kustomization (a resource, a patch or a component) and every
   file a kustomization names exists; `kubectl kustomize` builds each overlay (staging, production), and no
   placeholder of the base (OVERLAY_...) is left in either build.
3. Each built resource validates against the Kubernetes OpenAPI schemas shipped by kubernetes-validate (strict:
   unknown fields are errors); the External Secrets resources against the subset of their v1 CRD schema used here.
4. References hold in each build: the ConfigMaps, Secrets (made by an ExternalSecret; read or mounted) and
   ServiceAccounts of Deployments and Jobs exist, and so do the SecretStores; HPAs target Deployments; PDB and Service
   selectors match pods; every Deployment has its Service, HPA, PDB and NetworkPolicy; the service containers probe
   /health and /ready; Ingress backends name existing Service ports, directly or through the AWS Load Balancer
   Controller's weighted forward action (port use-annotation).
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import jsonschema
import kubernetes_validate
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[3]
K8S = ROOT / "infrastructure" / "k8s"
OVERLAYS = ["staging", "production"]
KUBERNETES_VERSION = "1.31.0"  # the oldest EKS version in standard support that these manifests target

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import render_k8s  # noqa: E402

_STRING = {"type": "string", "minLength": 1}
_METADATA = {
    "type": "object",
    "required": ["name", "namespace"],
    "properties": {"name": _STRING, "namespace": _STRING, "labels": {"type": "object"}, "annotations": {"type": "object"}},
    "additionalProperties": False,
}
# After external-secrets' CRDs (external-secrets.io/v1), restricted to the fields these manifests use.
ESO_SCHEMAS = {
    "SecretStore": {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": "external-secrets.io/v1"},
            "kind": {"const": "SecretStore"},
            "metadata": _METADATA,
            "spec": {
                "type": "object",
                "required": ["provider"],
                "additionalProperties": False,
                "properties": {
                    "provider": {
                        "type": "object",
                        "required": ["aws"],
                        "additionalProperties": False,
                        "properties": {
                            "aws": {
                                "type": "object",
                                "required": ["service", "region"],
                                "additionalProperties": False,
                                "properties": {
                                    "service": {"enum": ["SecretsManager", "ParameterStore"]},
                                    "region": _STRING,
                                    "role": _STRING,
                                    "auth": {
                                        "type": "object",
                                        "additionalProperties": False,
                                        "properties": {
                                            "jwt": {
                                                "type": "object",
                                                "required": ["serviceAccountRef"],
                                                "additionalProperties": False,
                                                "properties": {
                                                    "serviceAccountRef": {
                                                        "type": "object",
                                                        "required": ["name"],
                                                        "additionalProperties": False,
                                                        "properties": {
                                                            "name": _STRING,
                                                            "namespace": _STRING,
                                                            "audiences": {"type": "array", "items": _STRING},
                                                        },
                                                    }
                                                },
                                            }
                                        },
                                    },
                                },
                            }
                        },
                    }
                },
            },
        },
    },
    "ExternalSecret": {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": "external-secrets.io/v1"},
            "kind": {"const": "ExternalSecret"},
            "metadata": _METADATA,
            "spec": {
                "type": "object",
                "required": ["secretStoreRef", "target", "data"],
                "additionalProperties": False,
                "properties": {
                    "refreshInterval": {"type": "string", "pattern": "^[0-9]+(s|m|h)$"},
                    "secretStoreRef": {
                        "type": "object",
                        "required": ["name"],
                        "additionalProperties": False,
                        "properties": {"name": _STRING, "kind": {"enum": ["SecretStore", "ClusterSecretStore"]}},
                    },
                    "target": {
                        "type": "object",
                        "required": ["name"],
                        "additionalProperties": False,
                        "properties": {
                            "name": _STRING,
                            "creationPolicy": {"enum": ["Owner", "Orphan", "Merge", "None"]},
                        },
                    },
                    "data": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["secretKey", "remoteRef"],
                            "additionalProperties": False,
                            "properties": {
                                "secretKey": _STRING,
                                "remoteRef": {
                                    "type": "object",
                                    "required": ["key"],
                                    "additionalProperties": False,
                                    "properties": {"key": _STRING, "property": _STRING, "version": _STRING},
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def fail(errors: list[str], message: str) -> None:
    errors.append(message)


def kustomization_files() -> tuple[set[pathlib.Path], list[str]]:
    """Every file the kustomizations under infrastructure/k8s name, and the names that do not exist."""
    named, missing = set(), []
    for kustomization in sorted(K8S.rglob("kustomization.yaml")):
        spec = yaml.safe_load(kustomization.read_text())
        entries = list(spec.get("resources", [])) + [p["path"] for p in spec.get("patches", []) if "path" in p]
        entries += list(spec.get("components", []))
        for entry in entries:
            path = (kustomization.parent / entry).resolve()
            if path.is_dir():
                continue  # another kustomization (base, a component): its own files are checked with it
            if not path.exists():
                missing.append(f"{kustomization.relative_to(ROOT)} names {entry}, which does not exist")
            named.add(path)
    return named, missing


def check_build(overlay: str, docs: list[dict], errors: list[str]) -> None:
    """Schemas and references of one overlay's build."""
    where = f"overlays/{overlay}"
    for doc in docs:
        ident = f"{where}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        if doc.get("kind") in ESO_SCHEMAS:
            try:
                jsonschema.validate(doc, ESO_SCHEMAS[doc["kind"]])
            except jsonschema.ValidationError as exc:
                fail(errors, f"{ident}: {exc.message} at {'/'.join(map(str, exc.absolute_path))}")
            continue
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            fail(errors, f"{ident}: {exc.message} at {'.'.join(map(str, exc.path))}")
        except kubernetes_validate.SchemaNotFoundError:
            fail(errors, f"{ident}: no schema for {doc.get('apiVersion')} {doc.get('kind')} in Kubernetes {KUBERNETES_VERSION}")

    by_kind: dict[str, dict[str, dict]] = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
        if doc["kind"] != "Namespace" and doc["metadata"].get("namespace") != "chat":
            fail(errors, f"{where}: {doc['kind']}/{doc['metadata']['name']} is not in namespace chat")
    secrets_made = {es["spec"]["target"]["name"] for es in by_kind.get("ExternalSecret", {}).values()}
    for es in by_kind.get("ExternalSecret", {}).values():
        if es["spec"]["secretStoreRef"]["name"] not in by_kind.get("SecretStore", {}):
            fail(errors, f"{where}: ExternalSecret/{es['metadata']['name']} names a missing SecretStore")
    for store in by_kind.get("SecretStore", {}).values():
        account = store["spec"]["provider"]["aws"]["auth"]["jwt"]["serviceAccountRef"]["name"]
        if account not in by_kind.get("ServiceAccount", {}):
            fail(errors, f"{where}: SecretStore/{store['metadata']['name']} uses missing ServiceAccount {account}")

    pod_labels = {}
    workloads = [(f"Deployment/{n}", d) for n, d in by_kind.get("Deployment", {}).items()]
    workloads += [(f"Job/{n}", d) for n, d in by_kind.get("Job", {}).items()]
    for ident, workload in workloads:
        spec = workload["spec"]["template"]["spec"]
        labels = workload["spec"]["template"]["metadata"]["labels"]
        if ident.startswith("Deployment/"):
            pod_labels[ident] = labels
        if spec.get("serviceAccountName") not in by_kind.get("ServiceAccount", {}):
            fail(errors, f"{where}: {ident} uses a missing ServiceAccount")
        for volume in spec.get("volumes", []):
            if "secret" in volume and volume["secret"]["secretName"] not in secrets_made:
                fail(errors, f"{where}: {ident} mounts Secret {volume['secret']['secretName']}, which no ExternalSecret makes")
            if "configMap" in volume and volume["configMap"]["name"] not in by_kind.get("ConfigMap", {}):
                fail(errors, f"{where}: {ident} mounts a missing ConfigMap {volume['configMap']['name']}")
        for container in spec.get("initContainers", []) + spec["containers"]:
            for source in container.get("envFrom", []):
                if "configMapRef" in source and source["configMapRef"]["name"] not in by_kind.get("ConfigMap", {}):
                    fail(errors, f"{where}: {ident} reads a missing ConfigMap")
                if "secretRef" in source and source["secretRef"]["name"] not in secrets_made:
                    fail(errors, f"{where}: {ident} reads Secret {source['secretRef']['name']}, which no ExternalSecret makes")
            # The service's own container (named after it) probes /health and /ready; the collector beside it has
            # its own health check.
            if ident.startswith("Deployment/") and container["name"] == labels.get("app.kubernetes.io/name"):
                probes = {p: container.get(p, {}).get("httpGet", {}).get("path") for p in ("livenessProbe", "readinessProbe")}
                if probes != {"livenessProbe": "/health", "readinessProbe": "/ready"}:
                    fail(errors, f"{where}: {ident}: probes must be /health (liveness) and /ready (readiness), got {probes}")

    def matches(selector: dict) -> bool:
        return any(all(labels.get(k) == v for k, v in selector.items()) for labels in pod_labels.values())

    for kind in ("Service", "PodDisruptionBudget", "NetworkPolicy"):
        for name, doc in by_kind.get(kind, {}).items():
            selector = doc["spec"].get("selector", doc["spec"].get("podSelector", {}))
            selector = selector.get("matchLabels", selector) if kind != "Service" else selector
            if selector and not matches(selector) and name != "chat-migrations":
                fail(errors, f"{where}: {kind}/{name} selects no pod")
    for name, hpa in by_kind.get("HorizontalPodAutoscaler", {}).items():
        if hpa["spec"]["scaleTargetRef"]["name"] not in by_kind.get("Deployment", {}):
            fail(errors, f"{where}: HorizontalPodAutoscaler/{name} targets a missing Deployment")
    for deployment in by_kind.get("Deployment", {}):
        for kind in ("Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"):
            if deployment not in by_kind.get(kind, {}):
                fail(errors, f"{where}: Deployment/{deployment} has no {kind}")

    def service_port(name: str, port) -> bool:
        service = by_kind.get("Service", {}).get(name)
        return bool(service) and any(p["port"] == int(port) or p.get("name") == port for p in service["spec"]["ports"])

    for ingress in by_kind.get("Ingress", {}).values():
        for backend in ingress_backends(ingress):
            if not service_port(backend["name"], backend["port"]):
                fail(errors, f"{where}: Ingress path {backend['path']} points at {backend['name']}:{backend['port']}, which does not exist")


def ingress_backends(ingress: dict) -> list[dict]:
    """(path, Service, port, weight) of every backend, resolving the AWS Load Balancer Controller's actions: a backend
    with port name use-annotation stands for the target groups of annotation alb.ingress.kubernetes.io/actions.<name>."""
    result = []
    annotations = ingress["metadata"].get("annotations", {})
    for rule in ingress["spec"].get("rules", []):
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            if backend["port"].get("name") == "use-annotation":
                action = json.loads(annotations.get(f"alb.ingress.kubernetes.io/actions.{backend['name']}", "{}"))
                for group in action.get("forwardConfig", {}).get("targetGroups", []):
                    result.append({"path": path["path"], "pathType": path.get("pathType"), "name": group["serviceName"],
                                   "port": group["servicePort"], "weight": group.get("weight")})
                if not action.get("forwardConfig", {}).get("targetGroups"):
                    result.append({"path": path["path"], "pathType": path.get("pathType"), "name": f"(action {backend['name']})",
                                   "port": "?", "weight": None})
            else:
                result.append({"path": path["path"], "pathType": path.get("pathType"), "name": backend["name"],
                               "port": backend["port"].get("number", backend["port"].get("name")), "weight": None})
    return result


def build(overlay: str) -> tuple[list[dict], str]:
    result = subprocess.run(["kubectl", "kustomize", str(K8S / "overlays" / overlay)], capture_output=True, text=True)
    if result.returncode != 0:
        return [], result.stderr.strip()
    return [d for d in yaml.safe_load_all(result.stdout) if d], result.stdout


def main() -> int:
    errors: list[str] = []

    # 1. Generated manifests are fresh.
    for path, text in render_k8s.outputs().items():
        if not path.exists() or path.read_text() != text:
            fail(errors, f"{path.relative_to(ROOT)} differs from render_k8s.py (run it with --write)")

    # 2. Every file belongs to a kustomization; each overlay builds without placeholders left.
    named, missing = kustomization_files()
    for problem in missing:
        fail(errors, problem)
    for path in sorted(K8S.rglob("*.yaml")):
        if path.name != "kustomization.yaml" and path.resolve() not in named:
            fail(errors, f"{path.relative_to(ROOT)} is not used by any kustomization")
    counts = []
    for overlay in OVERLAYS:
        docs, output = build(overlay)
        if not docs:
            fail(errors, f"kubectl kustomize overlays/{overlay} failed: {output}")
            continue
        if render_k8s.PLACEHOLDER.format("") in output:
            left = sorted(set(w for w in output.split() if render_k8s.PLACEHOLDER.format("") in w))
            fail(errors, f"overlays/{overlay} leaves placeholders of the base: {left}")
        check_build(overlay, docs, errors)
        counts.append(f"{overlay} {len(docs)}")

    print(f"overlays built by kustomize ({', '.join(counts)} resources), validated against Kubernetes {KUBERNETES_VERSION}")
    for error in errors:
        print(f"  {error}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
