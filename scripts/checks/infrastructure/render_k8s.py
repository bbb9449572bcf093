#!/usr/bin/env python3
"""Writes the generated parts of infrastructure/k8s from the tables below, or checks that they are up to date.

The five services differ only in name, port, resources, replica range and which peers may call them, so their
manifests are rendered from one template instead of being kept in step by hand. What the generator writes:

    base/services/<service>.yaml          ServiceAccount, SecretStore, ExternalSecrets, Deployment (with the
                                          OpenTelemetry collector beside the service), Service, HPA, PDB, NetworkPolicy
    base/services/api-gateway-canary.yaml the gateway's canary track: the same pods under their own Deployment and
                                          Service, which the Ingress weights against the stable one (canary.sh)
    base/migrations.yaml                  the Job that applies every service's migrations before a rollout
    base/otel-collector.yaml              the collector's ConfigMap: infrastructure/observability/otel-collector.yaml
    components/environment/kustomization.yaml
                                          the replacements that put an overlay's values (environment.yaml: account,
                                          region, environment, CIDRs, ...) where the base holds placeholders

The base names no environment, account, region or network: every such value is a placeholder (OVERLAY_...) that the
environment component replaces from the overlay's environment.yaml; overlays/{staging,production} are what gets
applied. Names follow the Terraform environments: secrets chat/<environment>/<service>, chat/<environment>/internal,
chat/<environment>/redis-ca and AmazonMSK_chat-<environment>-<service>, IRSA role chat-<environment>-<service>-task.

    python3 scripts/checks/infrastructure/render_k8s.py --write   # after editing this file
    python3 scripts/checks/infrastructure/render_k8s.py --check   # what scripts/checks/infrastructure.sh runs
"""

from __future__ import annotations

import argparse
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[3]
K8S = ROOT / "infrastructure" / "k8s"
BASE = K8S / "base"
OUT = BASE / "services"
OVERLAYS = K8S / "overlays"
COMPONENT = K8S / "components" / "environment" / "kustomization.yaml"
COLLECTOR_CONFIG = ROOT / "infrastructure" / "observability" / "otel-collector.yaml"

# Placeholders of the base, each replaced from the overlay's environment.yaml (data key of the same name).
# No "-", "/" or ":" in them: the replacements split values like chat/<environment>/auth on those characters.
PLACEHOLDER = "OVERLAY_{}"
ENVIRONMENT_KEYS = ["environment", "account_id", "region", "vpc_cidr", "private_subnet_a", "private_subnet_b",
                    "private_subnet_c", "metrics_log_group", "cors_origins"]

# name: port, requests (cpu, memory), limits (cpu, memory), HPA min/max (production's; staging patches them), the pods
# that may call it, and which of them has migrations. Only the api-gateway is public (the Ingress's only backend): it
# verifies access tokens, signs the caller's identity and applies the rate limits; the others admit their callers and
# the kubelet only.
SERVICES = {
    "api-gateway": dict(port=8080, requests=("500m", "512Mi"), limits=("1", "1Gi"), replicas=(3, 20), callers=[],
                        public=True, migrations=False),
    "auth": dict(port=8081, requests=("250m", "256Mi"), limits=("500m", "512Mi"), replicas=(2, 10),
                 callers=["api-gateway", "chat"], migrations=True),
    "user": dict(port=8082, requests=("250m", "256Mi"), limits=("500m", "512Mi"), replicas=(2, 10),
                 callers=["api-gateway", "chat"], migrations=True),
    "chat": dict(port=8083, requests=("1", "1Gi"), limits=("2", "2Gi"), replicas=(4, 40),
                 callers=["api-gateway", "user"], migrations=True),
    "notification": dict(port=8084, requests=("500m", "512Mi"), limits=("1", "1Gi"), replicas=(2, 15),
                         callers=["api-gateway"], migrations=True),
}
# The gateway's admin listener (/metrics, the detailed /ready): the collector in the pod scrapes it over localhost;
# nothing outside the pod is admitted to it.
ADMIN_PORT = 9090
# The canary track of the gateway: its replicas while a canary runs (canary.sh sets its image and weights).
CANARY = dict(name="api-gateway-canary", replicas=(1, 4))
COLLECTOR_IMAGE = "public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0"
REDIS_CA_DIR = "/run/chat/redis-ca"

# JSON keys of chat/<environment>/<service>, the same layout as the ECS task definitions use.
SERVICE_SECRET_KEYS = [
    "CHAT_POSTGRES_URL",
    "CHAT_MONGO_URI",
    "CHAT_REDIS_USERNAME",
    "CHAT_REDIS_PASSWORD",
    "CHAT_S3_ACCESS_KEY_ID",
    "CHAT_S3_SECRET_ACCESS_KEY",
]
# Keys of the same secret that only one service has (none today; auth's signing key is mounted as a file below).
SERVICE_ONLY_SECRET_KEYS: dict[str, list[str]] = {}

# CHAT_ variables only some services read (the shared ones are in base/configmap.yaml), with the values of the
# Terraform environments (platform/main.tf, service_environment); OVERLAY_... values come from the overlay.
SERVICE_ENV = {
    "api-gateway": {
        # The other services' ClusterIP Services in this namespace.
        "CHAT_UPSTREAM_AUTH": "http://auth:8081",
        "CHAT_UPSTREAM_USER": "http://user:8082",
        "CHAT_UPSTREAM_CHAT": "http://chat:8083",
        "CHAT_UPSTREAM_NOTIFICATION": "http://notification:8084",
        "CHAT_UPSTREAM_TIMEOUT_MS": "30000",
        "CHAT_RATE_LIMIT_PER_USER": "600",
        "CHAT_RATE_LIMIT_PER_ADDRESS": "1200",
        "CHAT_MAX_BODY_BYTES": "1048576",
        # The web client's origin (the environment's cors_allowed_origins).
        "CHAT_CORS_ORIGINS": PLACEHOLDER.format("cors_origins"),
        # Behind the ALB of the Ingress, which appends the client's address to X-Forwarded-For.
        "CHAT_TRUSTED_PROXY_HOPS": "1",
        # The web client the image carries, served at /.
        "CHAT_WEB_ROOT": "/srv/chat/public",
        # /metrics and the detailed /ready on the admin port, which only the pod's collector reaches.
        "CHAT_ADMIN_HOST": "0.0.0.0",
        "CHAT_ADMIN_PORT": str(ADMIN_PORT),
    },
    "auth": {
        # The signing key, mounted from the Secret auth-jwt-signing-key (below); CHAT_STATE_DIR stays unset, so that
        # without the key auth stops instead of generating one per pod.
        "CHAT_JWT_SIGNING_KEY_FILE": "/run/chat/jwt/signing-key",
        "CHAT_JWT_RETIRED_PUBLIC_KEYS": "",
        "CHAT_ACCESS_TOKEN_TTL_SECONDS": "900",
        "CHAT_REFRESH_TOKEN_TTL_DAYS": "30",
        "CHAT_BCRYPT_COST": "12",
        "CHAT_LOGIN_FAILURE_LIMIT": "10",
        "CHAT_REGISTER_LIMIT_PER_ADDRESS": "20",
    },
    "user": {
        # chat's internal API (is an avatar an image the user uploaded?), through the same Service as the gateway.
        "CHAT_UPSTREAM_CHAT": "http://chat:8083",
    },
    "chat": {
        # Identity data from user's internal API and session checks against auth's JWKS, through the same
        # Services as the gateway.
        "CHAT_UPSTREAM_AUTH": "http://auth:8081",
        "CHAT_UPSTREAM_USER": "http://user:8082",
        # WebSocket limits per user, across their sockets and pods.
        "CHAT_SEND_BUDGET_PER_SECOND": "20",
        "CHAT_SEND_BUDGET_BURST": "100",
        "CHAT_SOCKETS_PER_USER": "20",
        # The writer's batches start at least 5 ms apart while messages keep coming: fewer, fuller batches under load.
        "CHAT_WRITER_LINGER_MS": "5",
        # A broker answers a fetch when a record arrives: the wait only spaces the fan-out's idle fetches.
        "CHAT_FANOUT_FETCH_WAIT_MS": "100",
    },
    "notification": {
        # Every pod joins the same consumer group (the IAM policies and lag alarms expect it named notification).
        "CHAT_NOTIFICATION_CONSUMER_GROUP": "notification",
        "CHAT_NOTIFICATION_OFFSET_RESET": "earliest",
        "CHAT_PUSH_MAX_ATTEMPTS": "5",
        "CHAT_PUSH_RETRY_BASE_MS": "500",
        "CHAT_PUSH_TIMEOUT_MS": "5000",
        "CHAT_PUSH_CONCURRENCY": "32",
        # Push targets on loopback, link-local and private addresses: local stack only, never in production.
        "CHAT_PUSH_ALLOW_PRIVATE_TARGETS": "false",
    },
}

# Services whose signing key is mounted as a file: the key of their secret that holds it.
SIGNING_KEY = {"auth": "CHAT_JWT_SIGNING_KEY"}


def secret_key(name: str) -> str:
    return f"chat/{PLACEHOLDER.format('environment')}/{name}"


def external_secrets(name: str) -> str:
    secret_data = "\n".join(
        f"    - secretKey: {key}\n"
        f"      remoteRef:\n"
        f"        key: {secret_key(name)}\n"
        f"        property: {key}"
        for key in SERVICE_SECRET_KEYS + SERVICE_ONLY_SECRET_KEYS.get(name, [])
    )
    signing_key = ""
    if name in SIGNING_KEY:
        signing_key = f"""---
# The access-token signing key as a Secret of its own, mounted as a file (CHAT_JWT_SIGNING_KEY_FILE): it never
# becomes an environment variable.
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: {name}-jwt-signing-key
  namespace: chat
  labels:
    app.kubernetes.io/name: {name}
spec:
  refreshInterval: 1h
  secretStoreRef:
    kind: SecretStore
    name: {name}
  target:
    name: {name}-jwt-signing-key
    creationPolicy: Owner
  data:
    - secretKey: signing-key
      remoteRef:
        key: {secret_key(name)}
        property: {SIGNING_KEY[name]}
"""
    return f"""---
# External Secrets reads AWS Secrets Manager as this service's own service account, so it can fetch nothing else.
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata:
  name: {name}
  namespace: chat
  labels:
    app.kubernetes.io/name: {name}
spec:
  provider:
    aws:
      service: SecretsManager
      region: {PLACEHOLDER.format("region")}
      auth:
        jwt:
          serviceAccountRef:
            name: {name}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: {name}
  namespace: chat
  labels:
    app.kubernetes.io/name: {name}
spec:
  refreshInterval: 1h
  secretStoreRef:
    kind: SecretStore
    name: {name}
  target:
    name: {name}-secrets
    creationPolicy: Owner
  data:
{secret_data}
    - secretKey: CHAT_KAFKA_SASL_USERNAME
      remoteRef:
        key: AmazonMSK_chat-{PLACEHOLDER.format("environment")}-{name}
        property: username
    - secretKey: CHAT_KAFKA_SASL_PASSWORD
      remoteRef:
        key: AmazonMSK_chat-{PLACEHOLDER.format("environment")}-{name}
        property: password
    # The one secret all services share: the gateway signs the caller's identity with it, the others verify it.
    - secretKey: CHAT_INTERNAL_SECRET
      remoteRef:
        key: {secret_key("internal")}
        property: CHAT_INTERNAL_SECRET
---
# The CA of the Redis nodes' certificates (CHAT_REDIS_TLS_CA_FILE), mounted as a file.
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: {name}-redis-ca
  namespace: chat
  labels:
    app.kubernetes.io/name: {name}
spec:
  refreshInterval: 1h
  secretStoreRef:
    kind: SecretStore
    name: {name}
  target:
    name: {name}-redis-ca
    creationPolicy: Owner
  data:
    - secretKey: ca.pem
      remoteRef:
        key: {secret_key("redis-ca")}
        property: ca_pem
{signing_key}"""


def pod_spec(name: str, svc: dict, deployment: str) -> str:
    """The pod template's spec of a service (and of the gateway's canary track)."""
    port = svc["port"]
    req_cpu, req_mem = svc["requests"]
    lim_cpu, lim_mem = svc["limits"]
    extra_env = "".join(
        f"            - name: {key}\n              value: \"{value}\"\n" for key, value in SERVICE_ENV.get(name, {}).items()
    )
    admin_port = f"""            - name: admin
              containerPort: {ADMIN_PORT}
              protocol: TCP
""" if svc.get("public") else ""
    metrics_port = ADMIN_PORT if svc.get("public") else port
    signing_key_mount = signing_key_volume = ""
    if name in SIGNING_KEY:
        signing_key_mount = """            - name: jwt-signing-key
              mountPath: /run/chat/jwt
              readOnly: true
"""
        signing_key_volume = f"""        - name: jwt-signing-key
          secret:
            secretName: {name}-jwt-signing-key
            # 0440: readable by the pod's group (fsGroup 10001) only.
            defaultMode: 288
"""
    return f"""    spec:
      serviceAccountName: {name}
      automountServiceAccountToken: false
      # Long enough for the preStop pause plus the graceful shutdown (WebSocket hand-over in chat).
      terminationGracePeriodSeconds: 45
      securityContext:
        runAsNonRoot: true
        # The images' user (docker/Dockerfiles: USER 10001:10001).
        runAsUser: 10001
        runAsGroup: 10001
        fsGroup: 10001
        seccompProfile:
          type: RuntimeDefault
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: topology.kubernetes.io/zone
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              app.kubernetes.io/name: {name}
      containers:
        - name: {name}
          image: chat-backend/{name}:unreleased
          imagePullPolicy: Always
          ports:
            - name: http
              containerPort: {port}
              protocol: TCP
{admin_port}          envFrom:
            - configMapRef:
                name: chat-config
            - secretRef:
                name: {name}-secrets
          env:
            - name: CHAT_HTTP_PORT
              value: "{port}"
{extra_env}          startupProbe:
            httpGet:
              path: /health
              port: http
            periodSeconds: 2
            failureThreshold: 30
          livenessProbe:
            httpGet:
              path: /health
              port: http
            periodSeconds: 10
            timeoutSeconds: 3
            failureThreshold: 3
          # /ready checks the service's dependencies (CHAT_READY_TIMEOUT_MS each): a pod whose database is out of
          # reach leaves the load balancer without being restarted.
          readinessProbe:
            httpGet:
              path: /ready
              port: http
            periodSeconds: 5
            timeoutSeconds: 3
            failureThreshold: 2
          lifecycle:
            # Let the ALB (gateway) or the Service's endpoints (the others) drop the pod before it stops accepting
            # connections.
            preStop:
              exec:
                command: ["sleep", "10"]
          resources:
            requests:
              cpu: "{req_cpu}"
              memory: {req_mem}
            limits:
              cpu: "{lim_cpu}"
              memory: {lim_mem}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            runAsNonRoot: true
            runAsUser: 10001
            capabilities:
              drop: ["ALL"]
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            - name: redis-ca
              mountPath: {REDIS_CA_DIR}
              readOnly: true
{signing_key_mount}        # AWS Distro for OpenTelemetry beside the service, as on ECS: traces (OTLP/HTTP on localhost:4318) to
        # X-Ray, the service's /metrics into CloudWatch (EMF), with the pod's IRSA role.
        - name: aws-otel-collector
          image: {COLLECTOR_IMAGE}
          imagePullPolicy: Always
          args: ["--config=/etc/otel/config.yaml"]
          env:
            - name: SERVICE_NAME
              value: {name}
            - name: METRICS_PORT
              value: "{metrics_port}"
            - name: METRICS_LOG_GROUP
              value: {PLACEHOLDER.format("metrics_log_group")}
          livenessProbe:
            exec:
              command: ["/healthcheck"]
            periodSeconds: 30
            timeoutSeconds: 5
          resources:
            requests:
              cpu: 50m
              memory: 64Mi
            limits:
              cpu: 250m
              memory: 128Mi
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            runAsNonRoot: true
            runAsUser: 10001
            capabilities:
              drop: ["ALL"]
          volumeMounts:
            - name: otel-config
              mountPath: /etc/otel
              readOnly: true
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 256Mi
        - name: redis-ca
          secret:
            secretName: {name}-redis-ca
            defaultMode: 292
        - name: otel-config
          configMap:
            name: otel-collector
{signing_key_volume}"""


DEPLOYMENT_ANNOTATIONS = """  annotations:
    checkov.io/skip1: CKV_K8S_35=The services read their configuration from environment variables (ConfigKey.swift), so their connection secrets arrive through envFrom; only auth's signing key and the Redis CA, which have file variables, are mounted.
    checkov.io/skip2: CKV_K8S_43=Releases pin the image by digest through the overlay's images field (kustomize edit set image ...@sha256:...); the template names a tag, and the collector's pinned version tag is reviewed with each upgrade.
    checkov.io/skip3: CKV_K8S_9=The collector beside the service has no readiness probe on purpose, since a pod is ready only when all its containers are and telemetry must never take the service out of its load balancer; its liveness probe restarts it.
"""


def autoscaling(name: str, target: str, min_r: int, max_r: int) -> str:
    return f"""---
# CPU and memory: chat's memory grows with its WebSocket connections before its CPU does.
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {name}
  namespace: chat
  labels:
    app.kubernetes.io/name: {target}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {name}
  minReplicas: {min_r}
  maxReplicas: {max_r}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: 70
    - type: Resource
      resource:
        name: memory
        target:
          type: Utilization
          averageUtilization: 75
  behavior:
    # Scale in slowly: removed pods hand their connections over.
    scaleDown:
      stabilizationWindowSeconds: 300
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {name}
  namespace: chat
  labels:
    app.kubernetes.io/name: {target}
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: {target}
"""


def network_policy(name: str, svc: dict, policy_name: str, selector: str) -> str:
    port = svc["port"]
    if svc.get("public"):
        admitted = f"""    # The ALB (target type ip) and the kubelet's probes come from addresses of the VPC.
    - from:
        - ipBlock:
            cidr: {PLACEHOLDER.format("vpc_cidr")}
      ports:
        - port: {port}
          protocol: TCP
"""
    else:
        blocks = "".join(f"        - ipBlock:\n            cidr: {PLACEHOLDER.format('private_subnet_' + zone)}\n"
                         for zone in "abc")
        admitted = f"""    # Not public: the kubelet's probes, from the nodes in the private subnets; the ALB's public subnets are not admitted.
    - from:
{blocks}      ports:
        - port: {port}
          protocol: TCP
"""
    callers = "".join(
        f"""    # {caller} calls {name} through its Service (CHAT_UPSTREAM_*).
    - from:
        - podSelector:
            matchLabels:
              app.kubernetes.io/name: {caller}
      ports:
        - port: {port}
          protocol: TCP
"""
        for caller in svc["callers"]
    )
    # Egress to the services this one calls (the gateway all four, chat auth and user, user chat).
    upstream_egress = "".join(
        f"""    - to:
        - podSelector:
            matchLabels:
              app.kubernetes.io/name: {other}
      ports:
        - port: {cfg['port']}
          protocol: TCP
"""
        for other, cfg in SERVICES.items()
        if name in cfg["callers"]
    )
    return f"""---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {policy_name}
  namespace: chat
  labels:
    app.kubernetes.io/name: {name}
spec:
  podSelector:
    matchLabels:
{selector}  policyTypes: ["Ingress", "Egress"]
  ingress:
{admitted}{callers}  egress:
    - to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: kube-system
          podSelector:
            matchLabels:
              k8s-app: kube-dns
      ports:
        - port: 53
          protocol: UDP
        - port: 53
          protocol: TCP
    # PostgreSQL, DocumentDB, MSK (9094-9098) and Redis inside the VPC.
    - to:
        - ipBlock:
            cidr: {PLACEHOLDER.format("vpc_cidr")}
      ports:
        - port: 5432
          protocol: TCP
        - port: 27017
          protocol: TCP
        - port: 9094
          endPort: 9098
          protocol: TCP
        - port: 6379
          protocol: TCP
    # AWS APIs over HTTPS (S3, STS for IRSA, X-Ray and CloudWatch Logs for the collector).
    - ports:
        - port: 443
          protocol: TCP
{upstream_egress}"""


def service(name: str, svc: dict, service_name: str, selector: str) -> str:
    return f"""---
apiVersion: v1
kind: Service
metadata:
  name: {service_name}
  namespace: chat
  labels:
    app.kubernetes.io/name: {name}
spec:
  type: ClusterIP
  selector:
{selector}  ports:
    - name: http
      port: {svc["port"]}
      targetPort: http
      protocol: TCP
"""


def deployment(name: str, svc: dict, deployment_name: str, labels: str, track_comment: str = "") -> str:
    return f"""---
{track_comment}apiVersion: apps/v1
kind: Deployment
metadata:
  name: {deployment_name}
  namespace: chat
  labels:
    app.kubernetes.io/name: {name}
{DEPLOYMENT_ANNOTATIONS}spec:
  # No replicas field: the HorizontalPodAutoscaler owns the count.
  revisionHistoryLimit: 5
  selector:
    matchLabels:
{labels}  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 25%
  template:
    metadata:
      labels:
{labels.replace("      ", "        ")}{pod_spec(name, svc, deployment_name)}"""


def render(name: str, svc: dict) -> str:
    min_r, max_r = svc["replicas"]
    public = svc.get("public")
    # The gateway's stable track: the canary's pods carry the same name and another track.
    labels = f"      app.kubernetes.io/name: {name}\n" + ("      chat.example.com/track: stable\n" if public else "")
    selector = f"    app.kubernetes.io/name: {name}\n" + ("    chat.example.com/track: stable\n" if public else "")
    return f"""# GENERATED by scripts/checks/infrastructure/render_k8s.py: edit the generator, then run it with --write.
#
# {name}: ServiceAccount (IRSA: the Terraform task role), SecretStore + ExternalSecrets (its own secrets, the shared
# internal secret, the Redis CA), Deployment (the service and the OpenTelemetry collector), Service,
# HorizontalPodAutoscaler, PodDisruptionBudget, NetworkPolicy. OVERLAY_... values come from the overlay.
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {name}
  namespace: chat
  labels:
    app.kubernetes.io/name: {name}
  annotations:
    # The role trusts exactly this service account (terraform/modules/iam, eks_oidc_provider_arn).
    eks.amazonaws.com/role-arn: arn:aws:iam::{PLACEHOLDER.format("account_id")}:role/chat-{PLACEHOLDER.format("environment")}-{name}-task
# The pods do not call the Kubernetes API; the IRSA web-identity token is projected separately by EKS.
automountServiceAccountToken: false
{external_secrets(name)}{deployment(name, svc, name, labels)}{service(name, svc, name, selector)}{autoscaling(name, name, min_r, max_r)}{network_policy(name, svc, name, f"      app.kubernetes.io/name: {name}" + chr(10))}"""


def render_canary() -> str:
    name, svc = "api-gateway", SERVICES["api-gateway"]
    canary = CANARY["name"]
    labels = f"      app.kubernetes.io/name: {name}\n      chat.example.com/track: canary\n"
    selector = f"    app.kubernetes.io/name: {name}\n    chat.example.com/track: canary\n"
    min_r, max_r = CANARY["replicas"]
    return f"""# GENERATED by scripts/checks/infrastructure/render_k8s.py: edit the generator, then run it with --write.
#
# The gateway's canary track: the same pods as api-gateway (its ServiceAccount, secrets and NetworkPolicy apply to
# them too: they carry app.kubernetes.io/name: api-gateway), under a Deployment and a Service of their own. The
# Ingress weights the two Services (alb.ingress.kubernetes.io/actions.gateway); between releases the canary runs the
# stable image at weight 0. infrastructure/k8s/canary.sh moves a release through it: 20 %, 50 %, 100 %, rolling back
# on an alarm.
{deployment(name, svc, canary, labels)}{service(name, svc, canary, selector)}{autoscaling(canary, name, min_r, max_r)}{network_policy(name, svc, canary, f"      app.kubernetes.io/name: {name}" + chr(10) + "      chat.example.com/track: canary" + chr(10))}"""


def render_migrations() -> str:
    with_migrations = [name for name, svc in SERVICES.items() if svc["migrations"]]
    *first, last = with_migrations

    def container(name: str, indent: str) -> str:
        return f"""{indent}- name: migrate-{name}
{indent}  image: chat-backend/{name}:unreleased
{indent}  imagePullPolicy: Always
{indent}  args: ["migrate"]
{indent}  envFrom:
{indent}    - configMapRef:
{indent}        name: chat-config
{indent}    - secretRef:
{indent}        name: {name}-secrets
{indent}  resources:
{indent}    requests:
{indent}      cpu: 100m
{indent}      memory: 128Mi
{indent}    limits:
{indent}      cpu: 500m
{indent}      memory: 256Mi
{indent}  securityContext:
{indent}    allowPrivilegeEscalation: false
{indent}    readOnlyRootFilesystem: true
{indent}    runAsNonRoot: true
{indent}    runAsUser: 10001
{indent}    capabilities:
{indent}      drop: ["ALL"]
{indent}  volumeMounts:
{indent}    - name: tmp
{indent}      mountPath: /tmp
"""
    init = "".join(container(name, "        ") for name in first)
    return f"""# GENERATED by scripts/checks/infrastructure/render_k8s.py: edit the generator, then run it with --write.
#
# Every service's pending PostgreSQL migrations, applied before a rollout (`<service> migrate` applies them and exits;
# the Deployments run with CHAT_MIGRATE_ON_START=false). One after the other ({", ".join(with_migrations)}): auth and
# user share the identity database, and each service migrates under an advisory lock anyway. A Job's spec cannot
# change, so a release deletes the previous Job, applies this one with the release's images and waits for it
# (docs/operations.md, "EKS release"); the Deployments roll only once it completed.
apiVersion: v1
kind: ServiceAccount
metadata:
  name: chat-migrations
  namespace: chat
  labels:
    app.kubernetes.io/name: chat-migrations
# PostgreSQL only: no AWS API, no Kubernetes API.
automountServiceAccountToken: false
---
apiVersion: batch/v1
kind: Job
metadata:
  name: chat-migrations
  namespace: chat
  labels:
    app.kubernetes.io/name: chat-migrations
  annotations:
    checkov.io/skip1: CKV_K8S_35=The migrations read their database URL from the environment (ConfigKey.swift), like the services.
    checkov.io/skip2: CKV_K8S_43=A release pins the images by digest through the overlay's images field.
spec:
  backoffLimit: 2
  activeDeadlineSeconds: 1800
  ttlSecondsAfterFinished: 86400
  template:
    metadata:
      labels:
        app.kubernetes.io/name: chat-migrations
    spec:
      serviceAccountName: chat-migrations
      automountServiceAccountToken: false
      restartPolicy: Never
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        runAsGroup: 10001
        fsGroup: 10001
        seccompProfile:
          type: RuntimeDefault
      initContainers:
{init}      containers:
{container(last, "        ")}      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
---
# The migrations reach PostgreSQL and DNS, nothing else.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: chat-migrations
  namespace: chat
  labels:
    app.kubernetes.io/name: chat-migrations
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/name: chat-migrations
  policyTypes: ["Ingress", "Egress"]
  egress:
    - to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: kube-system
          podSelector:
            matchLabels:
              k8s-app: kube-dns
      ports:
        - port: 53
          protocol: UDP
        - port: 53
          protocol: TCP
    - to:
        - ipBlock:
            cidr: {PLACEHOLDER.format("vpc_cidr")}
      ports:
        - port: 5432
          protocol: TCP
"""


def render_collector_config() -> str:
    config = "".join(f"    {line}" if line.strip() else "\n" for line in COLLECTOR_CONFIG.read_text().splitlines(True))
    return f"""# GENERATED by scripts/checks/infrastructure/render_k8s.py from infrastructure/observability/otel-collector.yaml
# (the configuration of the collector beside every service, on ECS as on EKS).
apiVersion: v1
kind: ConfigMap
metadata:
  name: otel-collector
  namespace: chat
data:
  config.yaml: |
{config}"""


def render_component() -> str:
    """Replacements from the overlay's environment.yaml into the base's placeholders."""
    def replacement(key: str, targets: list[str]) -> str:
        return f"""  - source:
      kind: ConfigMap
      name: environment
      fieldPath: data.{key}
    targets:
{"".join(targets)}"""

    def target(kind: str, paths: list[str], name: str | None = None, reject: str | None = None,
               delimiter: str | None = None, index: int | None = None) -> str:
        select = f"kind: {kind}" + (f", name: {name}" if name else "")
        text = f"      - select: {{ {select} }}\n"
        if reject:
            text += f"        reject:\n          - name: {reject}\n"
        text += "        fieldPaths:\n" + "".join(f"          - {p}\n" for p in paths)
        if delimiter is not None:
            text += f"        options: {{ delimiter: \"{delimiter}\", index: {index} }}\n"
        return text

    all_services = list(SERVICES)
    # Every remote key of the ExternalSecrets, by secret: chat/<environment>/... keys ("/"-separated) and the MSK
    # secrets' AmazonMSK_chat-<environment>-<service> ("-"-separated).
    slash_keys, msk_keys = [], []
    for name in all_services:
        for key in SERVICE_SECRET_KEYS + SERVICE_ONLY_SECRET_KEYS.get(name, []) + ["CHAT_INTERNAL_SECRET"]:
            slash_keys.append((name, key))
        msk_keys += [(name, "CHAT_KAFKA_SASL_USERNAME"), (name, "CHAT_KAFKA_SASL_PASSWORD")]
        slash_keys.append((f"{name}-redis-ca", "ca.pem"))
        if name in SIGNING_KEY:
            slash_keys.append((f"{name}-jwt-signing-key", "signing-key"))
    key_path = "spec.data.[secretKey={}].remoteRef.key"
    role = "metadata.annotations.[eks.amazonaws.com/role-arn]"
    # In every NetworkPolicy the data stores' rule is the second egress rule (after DNS).
    blocks = [
        replacement("environment", [
            *[target("ExternalSecret", [key_path.format(key)], name=name, delimiter="/", index=1) for name, key in slash_keys],
            *[target("ExternalSecret", [key_path.format(key)], name=name, delimiter="-", index=1) for name, key in msk_keys],
            *[target("ServiceAccount", [role], name=name, delimiter="-", index=1) for name in all_services],
        ]),
        replacement("account_id", [target("ServiceAccount", [role], name=name, delimiter=":", index=4) for name in all_services]),
        replacement("region", [target("SecretStore", ["spec.provider.aws.region"])]),
        replacement("vpc_cidr", [
            target("NetworkPolicy", ["spec.egress.1.to.0.ipBlock.cidr"], reject="default-deny"),
            target("NetworkPolicy", ["spec.ingress.0.from.0.ipBlock.cidr"], name="api-gateway"),
            target("NetworkPolicy", ["spec.ingress.0.from.0.ipBlock.cidr"], name=CANARY["name"]),
        ]),
        *[replacement(f"private_subnet_{zone}", [
            target("NetworkPolicy", [f"spec.ingress.0.from.{i}.ipBlock.cidr"], name=name)
            for name in all_services if not SERVICES[name].get("public")
        ]) for i, zone in enumerate("abc")],
        replacement("metrics_log_group", [
            target("Deployment", ["spec.template.spec.containers.[name=aws-otel-collector].env.[name=METRICS_LOG_GROUP].value"]),
        ]),
        replacement("cors_origins", [
            target("Deployment", ["spec.template.spec.containers.[name=api-gateway].env.[name=CHAT_CORS_ORIGINS].value"],
                   name=name) for name in ("api-gateway", CANARY["name"])
        ]),
    ]
    return f"""# GENERATED by scripts/checks/infrastructure/render_k8s.py: edit the generator, then run it with --write.
#
# The environment of an overlay: every OVERLAY_... placeholder of the base replaced from the overlay's ConfigMap
# `environment` (environment.yaml, marked local-config: it configures the build and is not applied). Keys:
# {", ".join(ENVIRONMENT_KEYS)}.
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
replacements:
{"".join(blocks)}"""


def outputs() -> dict[pathlib.Path, str]:
    files = {OUT / f"{name}.yaml": render(name, svc) for name, svc in SERVICES.items()}
    files[OUT / f"{CANARY['name']}.yaml"] = render_canary()
    files[BASE / "migrations.yaml"] = render_migrations()
    files[BASE / "otel-collector.yaml"] = render_collector_config()
    files[COMPONENT] = render_component()
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="write the manifests")
    mode.add_argument("--check", action="store_true", help="fail if a manifest differs from its rendering")
    args = parser.parse_args()

    stale = []
    for path, text in outputs().items():
        if args.write:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        elif not path.exists() or path.read_text() != text:
            stale.append(str(path.relative_to(ROOT)))
    if stale:
        print("out of date (run render_k8s.py --write): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
