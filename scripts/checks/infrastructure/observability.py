#!/usr/bin/env python3
"""Keeps the dashboards, alarms and collectors in step with the metric catalogue
(infrastructure/observability/metrics.yaml, the names the services export).

- The catalogue is well formed: counters end in _total, histograms of durations in _seconds, every entry has a type,
  labels, services and a meaning.
- Every metric name used by the CloudWatch dashboards and alarms (Terraform monitoring module, the ECS stack's alarms
  in the Chat/Services namespace), the collector configuration and the Grafana dashboard is in the catalogue (a
  histogram's _bucket, _sum and _count series count as the histogram); a label a Grafana query groups or filters by is
  one of the catalogue's labels of that metric (or Prometheus's job).
- Every metric of the catalogue reaches CloudWatch (the collector selects it) and is shown by both dashboards: the
  CloudWatch application dashboard (or an alarm) and the Grafana dashboard. docs/operations.md names each one, and
  README.md's metric table lists each with its type and meaning.
- The collector's configuration is one file: the ECS stack, the Terraform ecs module (which reads the file) and the
  Kubernetes ConfigMap (render_k8s.py renders it) carry it unchanged.
- Prometheus (compose) scrapes each service where it serves /metrics: the gateway's admin port, the others' own port.
"""

from __future__ import annotations

import json
import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[3]
OBS = ROOT / "infrastructure" / "observability"
CATALOGUE = OBS / "metrics.yaml"
COLLECTOR = OBS / "otel-collector.yaml"
MONITORING = ROOT / "infrastructure" / "terraform" / "modules" / "monitoring"
STACK = ROOT / "infrastructure" / "ecs-task-definitions.yaml"
GRAFANA = ROOT / "docker" / "grafana" / "dashboards" / "chat-backend.json"
PROMETHEUS = ROOT / "docker" / "prometheus" / "prometheus.yml"
OPERATIONS = ROOT / "docs" / "operations.md"
K8S_COLLECTOR = ROOT / "infrastructure" / "k8s" / "base" / "otel-collector.yaml"

sys.path.insert(0, str(ROOT / "scripts" / "checks" / "containers"))
import cfn_yaml  # noqa: E402

# Where each service serves /metrics (the gateway: its admin listener).
METRICS_TARGETS = {"api-gateway": 9090, "auth": 8081, "user": 8082, "chat": 8083, "notification": 8084}
# A token that looks like one of the catalogue's families: what dashboards and alarms may name.
FAMILIES = ("hb_", "chat_", "kafka_consumer_", "redis_cluster_", "notification_", "auth_password_", "gateway_")
TOKEN = re.compile(r"\b(?:" + "|".join(FAMILIES) + r")[a-z0-9_]+\b")
SUFFIXES = ("_bucket", "_sum", "_count")
# PromQL words that are not labels.
PROMQL = {"by", "without", "on", "ignoring", "le", "job"}


# The Redis nodes' own gauges (namespace Chat/Redis), which redis-node-init.sh sends; not the services' metrics.
NODE_GAUGES = set(re.findall(r'echo "(redis_[a-z_]+):', (ROOT / "infrastructure" / "redis" / "redis-node-init.sh").read_text()))


def base_name(token: str, catalogue: dict) -> str | None:
    if token in catalogue or token in NODE_GAUGES:
        return token
    for suffix in SUFFIXES:
        if token.endswith(suffix) and catalogue.get(token[: -len(suffix)], {}).get("type") == "histogram":
            return token[: -len(suffix)]
    return None


def main() -> int:
    problems: list[str] = []
    catalogue = {m["name"]: m for m in yaml.safe_load(CATALOGUE.read_text())["metrics"]}
    for name, metric in catalogue.items():
        missing = [k for k in ("type", "labels", "services", "meaning") if k not in metric]
        if missing:
            problems.append(f"metrics.yaml: {name} lacks {', '.join(missing)}")
        kind = metric.get("type")
        if kind == "counter" and not name.endswith("_total"):
            problems.append(f"metrics.yaml: the counter {name} does not end in _total")
        if kind != "counter" and name.endswith("_total"):
            problems.append(f"metrics.yaml: {name} ends in _total but is a {kind}")
        if kind not in ("counter", "gauge", "histogram"):
            problems.append(f"metrics.yaml: {name} has type {kind}")
        if "duration" in name or "latency" in name or "lag_seconds" in name:
            if not name.endswith("_seconds"):
                problems.append(f"metrics.yaml: the duration {name} does not end in _seconds")

    def names_in(where: str, text: str) -> set[str]:
        found = set()
        for token in TOKEN.findall(text):
            name = base_name(token, catalogue)
            if name is None:
                problems.append(f"{where} names {token}, which is not in infrastructure/observability/metrics.yaml")
            elif name in catalogue:
                found.add(name)
        return found

    # CloudWatch: the Terraform monitoring module's string literals, the stack's Chat/Services alarms.
    cloudwatch = set()
    for path in sorted(MONITORING.glob("*.tf")):
        # String literals, without their interpolations (${var.redis_cluster_name} is a variable, not a metric).
        # Block labels (variable "redis_cluster_name" {) are names of the configuration, not values.
        code = re.sub(r'^(\s*[a-z_]+)((?:\s+"[^"]*")+)(\s*\{)', r"\1\3", path.read_text(), flags=re.M)
        literals = " ".join(re.sub(r"\$\{[^{}]*\}", " ", s) for s in re.findall(r'"((?:[^"\\]|\\.)*)"', code))
        cloudwatch |= names_in(str(path.relative_to(ROOT)), literals)
    stack = cfn_yaml.load(STACK)
    for key, resource in stack["Resources"].items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::CloudWatch::Alarm" and props.get("Namespace") == "Chat/Services":
            names_in(f"ecs-task-definitions.yaml {key}", props.get("MetricName", ""))

    # The collector: what it selects for CloudWatch, and its one configuration.
    collector_text = COLLECTOR.read_text()
    collector = yaml.safe_load(collector_text)
    selected = set()
    for declaration in collector["exporters"]["awsemf"]["metric_declarations"]:
        for selector in declaration["metric_name_selectors"]:
            name = selector.strip("^$")
            if name not in catalogue:
                problems.append(f"otel-collector.yaml selects {name}, which is not in metrics.yaml")
            selected.add(name)
    for name in sorted(set(catalogue) - selected):
        problems.append(f"otel-collector.yaml does not send {name} to CloudWatch")
    stack_config = stack["Resources"].get("CollectorConfig", {}).get("Properties", {}).get("Value")
    if stack_config != collector_text:
        problems.append("ecs-task-definitions.yaml: CollectorConfig is not infrastructure/observability/otel-collector.yaml")
    k8s_config = yaml.safe_load(K8S_COLLECTOR.read_text())["data"]["config.yaml"]
    if k8s_config != collector_text:
        problems.append("infrastructure/k8s/base/otel-collector.yaml is not otel-collector.yaml (render_k8s.py --write)")
    ecs_main = (ROOT / "infrastructure" / "terraform" / "modules" / "ecs" / "main.tf").read_text()
    if "observability/otel-collector.yaml" not in ecs_main:
        problems.append("terraform/modules/ecs does not read infrastructure/observability/otel-collector.yaml")

    # Grafana: every expression's metrics and labels.
    dashboard = json.loads(GRAFANA.read_text())
    grafana = set()
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"]
            used = names_in(f"chat-backend.json panel {panel['title']!r}", expr)
            grafana |= used
            labels = set(re.findall(r"by \(([^)]*)\)", expr)) | set(re.findall(r"\{([^}]*)\}", expr))
            words = {w.strip().split("=")[0].split("!")[0].strip() for group in labels for w in group.split(",") if w.strip()}
            known = {label for name in used for label in catalogue[name]["labels"]} | PROMQL
            for label in sorted(words - known):
                problems.append(f"chat-backend.json panel {panel['title']!r} uses the label {label}, which its metrics do not have")
    for name in sorted(set(catalogue) - grafana):
        problems.append(f"the Grafana dashboard does not show {name}")
    for name in sorted(set(catalogue) - cloudwatch):
        problems.append(f"no CloudWatch dashboard or alarm (terraform/modules/monitoring) shows {name}")

    documented = OPERATIONS.read_text()
    for name in sorted(catalogue):
        if f"`{name}`" not in documented:
            problems.append(f"docs/operations.md does not describe `{name}`")
    readme = (ROOT / "README.md").read_text()
    for name, metric in sorted(catalogue.items()):
        if f"| `{name}` | {metric.get('type')} |" not in readme or metric.get("meaning", "") not in readme:
            problems.append(f"README.md's metric table does not list `{name}` as metrics.yaml does")

    # Prometheus in compose: each service where it serves /metrics.
    prometheus = yaml.safe_load(PROMETHEUS.read_text())
    jobs = {job["job_name"]: [t for c in job["static_configs"] for t in c["targets"]] for job in prometheus["scrape_configs"]}
    for service, port in METRICS_TARGETS.items():
        if jobs.get(service) != [f"{service}:{port}"]:
            problems.append(f"docker/prometheus/prometheus.yml scrapes {service} at {jobs.get(service)}, not {service}:{port}")

    if problems:
        print("\n".join(problems))
        return 1
    print(f"{len(catalogue)} metrics: every dashboard, alarm and collector name catalogued; all sent to CloudWatch, "
          f"shown in CloudWatch and Grafana, described; one collector configuration")
    return 0


if __name__ == "__main__":
    sys.exit(main())
