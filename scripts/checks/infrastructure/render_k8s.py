#!/usr/bin/env python3
"""Writes infrastructure/k8s/services/<service>.yaml from the table below, or checks that they are up to date.

The five services differ only in name, port, resources, replica range and which peers may call them, so their
manifests are rendered from one template instead of being kept in step by hand:

    python3 scripts/checks/infrastructure/render_k8s.py --write   # after editing this file
    python3 scripts/checks/infrastructure/render_k8s.py --check   # what scripts/checks/infrastructure.sh runs

Names follow the production Terraform environment (infrastructure/terraform/environments/production): secrets
chat/production/<service>, chat/production/internal and AmazonMSK_chat-production-<service>, IRSA role
chat-production-<service>-task.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[3]
OUT = ROOT / "infrastructure" / "k8s" / "services"

ENVIRONMENT = "production"
REGION = "eu-west-1"
ACCOUNT = "111111111111"  # placeholder, replaced per account (see infrastructure/README.md)
VPC_CIDR = "10.10.0.0/16"  # environments/production/terraform.tfvars
# The private subnets of that VPC (terraform/modules/vpc: cidrsubnet(vpc, 4, 1..3)), where the nodes run. The ALB
# lives in the public subnets, so admitting only these keeps it away from every service but the gateway.
PRIVATE_SUBNET_CIDRS = ["10.10.16.0/20", "10.10.32.0/20", "10.10.48.0/20"]

# name: port, requests (cpu, memory), limits (cpu, memory), HPA min/max, the pods that may call it. Only the
# api-gateway is public (the Ingress's only backend, infrastructure/k8s/ingress.yaml): it verifies access tokens,
# signs the caller's identity and applies the rate limits; the others admit the gateway and the kubelet only.
SERVICES = {
    "api-gateway": dict(port=8080, requests=("500m", "512Mi"), limits=("1", "1Gi"), replicas=(3, 20), callers=[],
                        public=True),
    "auth": dict(port=8081, requests=("250m", "256Mi"), limits=("500m", "512Mi"), replicas=(2, 10),
                 callers=["api-gateway", "chat"]),
    "user": dict(port=8082, requests=("250m", "256Mi"), limits=("500m", "512Mi"), replicas=(2, 10),
                 callers=["api-gateway", "chat"]),
    "chat": dict(port=8083, requests=("1", "1Gi"), limits=("2", "2Gi"), replicas=(4, 40), callers=["api-gateway"]),
    "notification": dict(port=8084, requests=("500m", "512Mi"), limits=("1", "1Gi"), replicas=(2, 15), callers=["api-gateway"]),
}

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


# CHAT_ variables only one service reads (the shared ones are in infrastructure/k8s/configmap.yaml), with the
# values of the production Terraform environment (platform/main.tf, service_environment).
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
        # The web client's origin (production terraform.tfvars, cors_allowed_origins).
        "CHAT_CORS_ORIGINS": "https://app.chat.example.com",
        # Behind the ALB of the Ingress, which appends the client's address to X-Forwarded-For.
        "CHAT_TRUSTED_PROXY_HOPS": "1",
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
    },
    "chat": {
        # Identity data from user's internal API and session checks against auth's JWKS, through the same
        # Services as the gateway.
        "CHAT_UPSTREAM_AUTH": "http://auth:8081",
        "CHAT_UPSTREAM_USER": "http://user:8082",
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


def render(name: str, svc: dict) -> str:
    port = svc["port"]
    req_cpu, req_mem = svc["requests"]
    lim_cpu, lim_mem = svc["limits"]
    min_r, max_r = svc["replicas"]
    secret_data = "\n".join(
        f"    - secretKey: {key}\n"
        f"      remoteRef:\n"
        f"        key: chat/{ENVIRONMENT}/{name}\n"
        f"        property: {key}"
        for key in SERVICE_SECRET_KEYS + SERVICE_ONLY_SECRET_KEYS.get(name, [])
    )
    extra_env = "".join(
        f"            - name: {key}\n              value: \"{value}\"\n" for key, value in SERVICE_ENV.get(name, {}).items()
    )
    signing_key_secret = signing_key_mount = signing_key_volume = ""
    if name in SIGNING_KEY:
        signing_key_secret = f"""---
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
        key: chat/{ENVIRONMENT}/{name}
        property: {SIGNING_KEY[name]}
"""
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
    if svc.get("public"):
        admitted = f"""    # The ALB (target type ip) and the kubelet's probes come from addresses of the VPC.
    - from:
        - ipBlock:
            cidr: {VPC_CIDR}
      ports:
        - port: {port}
          protocol: TCP
"""
    else:
        blocks = "".join(f"        - ipBlock:\n            cidr: {cidr}\n" for cidr in PRIVATE_SUBNET_CIDRS)
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
    # Egress to the services this one calls (the gateway all four, chat auth and user).
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
    return f"""# GENERATED by scripts/checks/infrastructure/render_k8s.py: edit the generator, then run it with --write.
#
# {name}: ServiceAccount (IRSA: the Terraform task role), SecretStore + ExternalSecret (its own secrets and the
# shared internal secret), Deployment, Service, HorizontalPodAutoscaler, PodDisruptionBudget, NetworkPolicy.
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {name}
  namespace: chat
  labels:
    app.kubernetes.io/name: {name}
  annotations:
    # The role trusts exactly this service account (terraform/modules/iam, eks_oidc_provider_arn).
    eks.amazonaws.com/role-arn: arn:aws:iam::{ACCOUNT}:role/chat-{ENVIRONMENT}-{name}-task
# The pods do not call the Kubernetes API; the IRSA web-identity token is projected separately by EKS.
automountServiceAccountToken: false
---
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
      region: {REGION}
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
        key: AmazonMSK_chat-{ENVIRONMENT}-{name}
        property: username
    - secretKey: CHAT_KAFKA_SASL_PASSWORD
      remoteRef:
        key: AmazonMSK_chat-{ENVIRONMENT}-{name}
        property: password
    # The one secret all services share: the gateway signs the caller's identity with it, the others verify it.
    - secretKey: CHAT_INTERNAL_SECRET
      remoteRef:
        key: chat/{ENVIRONMENT}/internal
        property: CHAT_INTERNAL_SECRET
{signing_key_secret}---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: chat
  labels:
    app.kubernetes.io/name: {name}
  annotations:
    checkov.io/skip1: CKV_K8S_35=The services read their configuration from environment variables (ConfigKey.swift), so their connection secrets arrive through envFrom; only auth's signing key has a file variable and is mounted.
    checkov.io/skip2: CKV_K8S_43=Releases pin the image by digest through the kustomization's images field (kustomize edit set image ...@sha256:...); the template names a tag.
spec:
  # No replicas field: the HorizontalPodAutoscaler owns the count.
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      app.kubernetes.io/name: {name}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 25%
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {name}
    spec:
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
          envFrom:
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
{signing_key_mount}      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 256Mi
{signing_key_volume}---
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: chat
  labels:
    app.kubernetes.io/name: {name}
spec:
  type: ClusterIP
  selector:
    app.kubernetes.io/name: {name}
  ports:
    - name: http
      port: {port}
      targetPort: http
      protocol: TCP
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {name}
  namespace: chat
  labels:
    app.kubernetes.io/name: {name}
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
    app.kubernetes.io/name: {name}
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: {name}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {name}
  namespace: chat
  labels:
    app.kubernetes.io/name: {name}
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/name: {name}
  policyTypes: ["Ingress", "Egress"]
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
            cidr: {VPC_CIDR}
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
    # AWS APIs over HTTPS (S3, STS for IRSA).
    - ports:
        - port: 443
          protocol: TCP
{upstream_egress}"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="write the manifests")
    mode.add_argument("--check", action="store_true", help="fail if a manifest differs from its rendering")
    args = parser.parse_args()

    stale = []
    for name, svc in SERVICES.items():
        path = OUT / f"{name}.yaml"
        text = render(name, svc)
        if args.write:
            OUT.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        elif not path.exists() or path.read_text() != text:
            stale.append(str(path.relative_to(ROOT)))
    if stale:
        print("out of date (run render_k8s.py --write): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
