#!/usr/bin/env python3
"""Validates infrastructure/k8s offline.

1. The per-service manifests are what render_k8s.py renders (no hand edits drifting from the template).
2. Every manifest file is listed in kustomization.yaml, and `kubectl kustomize` builds the whole set.
3. Each built resource validates against the Kubernetes OpenAPI schemas shipped by kubernetes-validate (strict:
   unknown fields are errors); the External Secrets resources against the subset of their v1 CRD schema used here.
4. References hold: Deployments' ConfigMap, Secrets (made by an ExternalSecret; read or mounted), ServiceAccount and
   SecretStore exist; HPAs target Deployments; PDB and Service selectors match pods; Ingress backends name existing
   Service ports.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

import jsonschema
import kubernetes_validate
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[3]
K8S = ROOT / "infrastructure" / "k8s"
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


def main() -> int:
    errors: list[str] = []

    # 1. Generated manifests are fresh.
    for name, svc in render_k8s.SERVICES.items():
        path = render_k8s.OUT / f"{name}.yaml"
        if not path.exists() or path.read_text() != render_k8s.render(name, svc):
            fail(errors, f"{path.relative_to(ROOT)} differs from render_k8s.py (run it with --write)")

    # 2. Every manifest is part of the kustomization, and it builds.
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = {str((K8S / r).resolve()) for r in kustomization.get("resources", [])}
    on_disk = {str(p.resolve()) for p in K8S.rglob("*.yaml") if p.name != "kustomization.yaml"}
    for orphan in sorted(on_disk - listed):
        fail(errors, f"{pathlib.Path(orphan).relative_to(ROOT)} is not listed in kustomization.yaml")
    for missing in sorted(listed - on_disk):
        fail(errors, f"kustomization.yaml lists {missing}, which does not exist")
    build = subprocess.run(["kubectl", "kustomize", str(K8S)], capture_output=True, text=True)
    if build.returncode != 0:
        fail(errors, f"kubectl kustomize failed: {build.stderr.strip()}")
        print("\n".join(errors))
        return 1
    docs = [d for d in yaml.safe_load_all(build.stdout) if d]

    # 3. Schemas.
    for doc in docs:
        ident = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
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

    # 4. References.
    by_kind: dict[str, dict[str, dict]] = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
        if doc["kind"] != "Namespace" and doc["metadata"].get("namespace") != "chat":
            fail(errors, f"{doc['kind']}/{doc['metadata']['name']} is not in namespace chat")
    secrets_made = {es["spec"]["target"]["name"] for es in by_kind.get("ExternalSecret", {}).values()}
    for es in by_kind.get("ExternalSecret", {}).values():
        if es["spec"]["secretStoreRef"]["name"] not in by_kind.get("SecretStore", {}):
            fail(errors, f"ExternalSecret/{es['metadata']['name']} names a missing SecretStore")
    for store in by_kind.get("SecretStore", {}).values():
        account = store["spec"]["provider"]["aws"]["auth"]["jwt"]["serviceAccountRef"]["name"]
        if account not in by_kind.get("ServiceAccount", {}):
            fail(errors, f"SecretStore/{store['metadata']['name']} uses missing ServiceAccount {account}")

    pod_labels = {}
    for name, dep in by_kind.get("Deployment", {}).items():
        spec = dep["spec"]["template"]["spec"]
        pod_labels[name] = dep["spec"]["template"]["metadata"]["labels"]
        if spec.get("serviceAccountName") not in by_kind.get("ServiceAccount", {}):
            fail(errors, f"Deployment/{name} uses a missing ServiceAccount")
        for container in spec["containers"]:
            for source in container.get("envFrom", []):
                if "configMapRef" in source and source["configMapRef"]["name"] not in by_kind.get("ConfigMap", {}):
                    fail(errors, f"Deployment/{name} reads a missing ConfigMap")
                if "secretRef" in source and source["secretRef"]["name"] not in secrets_made:
                    fail(errors, f"Deployment/{name} reads Secret {source['secretRef']['name']}, which no ExternalSecret makes")
            for volume in spec.get("volumes", []):
                if "secret" in volume and volume["secret"]["secretName"] not in secrets_made:
                    fail(errors, f"Deployment/{name} mounts Secret {volume['secret']['secretName']}, which no ExternalSecret makes")
            probes = {p: container.get(p, {}).get("httpGet", {}).get("path") for p in ("livenessProbe", "readinessProbe")}
            if probes != {"livenessProbe": "/health", "readinessProbe": "/ready"}:
                fail(errors, f"Deployment/{name}: probes must be /health (liveness) and /ready (readiness), got {probes}")

    def matches(selector: dict) -> bool:
        return any(all(labels.get(k) == v for k, v in selector.items()) for labels in pod_labels.values())

    for kind in ("Service", "PodDisruptionBudget", "NetworkPolicy"):
        for name, doc in by_kind.get(kind, {}).items():
            selector = doc["spec"].get("selector", doc["spec"].get("podSelector", {}))
            selector = selector.get("matchLabels", selector) if kind != "Service" else selector
            if selector and not matches(selector):
                fail(errors, f"{kind}/{name} selects no pod")
    for name, hpa in by_kind.get("HorizontalPodAutoscaler", {}).items():
        if hpa["spec"]["scaleTargetRef"]["name"] not in by_kind.get("Deployment", {}):
            fail(errors, f"HorizontalPodAutoscaler/{name} targets a missing Deployment")
    for deployment in by_kind.get("Deployment", {}):
        for kind in ("Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"):
            if deployment not in by_kind.get(kind, {}):
                fail(errors, f"Deployment/{deployment} has no {kind}")
    for ingress in by_kind.get("Ingress", {}).values():
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                service = by_kind.get("Service", {}).get(backend["name"])
                ports = [p["port"] for p in service["spec"]["ports"]] if service else []
                if backend["port"]["number"] not in ports:
                    fail(errors, f"Ingress path {path['path']} points at {backend['name']}:{backend['port']['number']}, which does not exist")

    print(f"{len(docs)} resources built by kustomize, validated against Kubernetes {KUBERNETES_VERSION}")
    for error in errors:
        print(f"  {error}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
