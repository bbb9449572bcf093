#!/usr/bin/env bash
# Moves a gateway release through its canary track on EKS (the Ingress's weighted action `gateway`, AWS Load Balancer
# Controller): the canary Deployment gets the new image, then 20 %, 50 % and 100 % of the traffic, each step watched
# for STEP_SECONDS; then the stable track gets the image and all traffic returns to it. Any of the ALARMS in state
# ALARM during a step (checked every POLL_SECONDS), or a rollout that does not finish, sends all traffic back to the
# stable track, returns the canary to the previous image and fails. Run from a machine with kubectl access to the
# cluster and CloudWatch read access (docs/operations.md, "EKS release").
#
#   canary.sh IMAGE        e.g. 111111111111.dkr.ecr.eu-west-1.amazonaws.com/chat-backend/api-gateway@sha256:...
#
# Environment: ALARMS (comma-separated CloudWatch alarm names; at least one), STEPS (default "20 50 100"),
# STEP_SECONDS (300), POLL_SECONDS (30), NAMESPACE (chat), ROLLOUT_TIMEOUT (10m).
# Afterwards set the same image in the overlay (kustomize edit set image), so that the next apply keeps it; that apply
# also resets the weights to stable 100 %, which is where this script leaves them.
set -euo pipefail

image=${1:?usage: canary.sh IMAGE}
: "${ALARMS:?ALARMS: the CloudWatch alarms that roll a canary back, comma-separated}"
STEPS=${STEPS:-20 50 100}
STEP_SECONDS=${STEP_SECONDS:-300}
POLL_SECONDS=${POLL_SECONDS:-30}
NAMESPACE=${NAMESPACE:-chat}
ROLLOUT_TIMEOUT=${ROLLOUT_TIMEOUT:-10m}

log() { printf 'canary: %s\n' "$*"; }
k() { kubectl -n "$NAMESPACE" "$@"; }

# The canary's share of the traffic, in percent; the stable track gets the rest.
weigh() {
  local canary=$1 stable=$((100 - $1))
  k annotate ingress chat --overwrite \
    "alb.ingress.kubernetes.io/actions.gateway={\"type\":\"forward\",\"forwardConfig\":{\"targetGroups\":[{\"serviceName\":\"api-gateway\",\"servicePort\":\"8080\",\"weight\":$stable},{\"serviceName\":\"api-gateway-canary\",\"servicePort\":\"8080\",\"weight\":$canary}]}}"
  log "weights: stable $stable %, canary $canary %"
}

alarming() {
  local -a names
  IFS=',' read -r -a names <<<"$ALARMS"
  aws cloudwatch describe-alarms --alarm-names "${names[@]}" --state-value ALARM \
    --query 'MetricAlarms[].AlarmName' --output text
}

previous=$(k get deployment api-gateway -o jsonpath='{.spec.template.spec.containers[?(@.name=="api-gateway")].image}')
[[ -n $previous ]] || {
  echo "canary: no image on deployment/api-gateway" >&2
  exit 1
}

roll_back() {
  log "rolling back: $1"
  # A stable track caught half-way through taking the release goes back to the previous image first.
  [[ ${stable_changed:-} == 1 ]] && k rollout undo deployment/api-gateway
  weigh 0
  k set image deployment/api-gateway-canary "api-gateway=$previous"
  exit 1
}

log "releasing $image (stable runs $previous)"
k set image deployment/api-gateway-canary "api-gateway=$image"
k rollout status deployment/api-gateway-canary --timeout="$ROLLOUT_TIMEOUT" || roll_back "the canary pods did not become ready"

for weight in $STEPS; do
  weigh "$weight"
  deadline=$((SECONDS + STEP_SECONDS))
  while :; do
    firing=$(alarming)
    [[ -z $firing || $firing == None ]] || roll_back "alarm at $weight %: $firing"
    ((SECONDS < deadline)) || break
    sleep "$POLL_SECONDS"
  done
done

# The release holds all the traffic on the canary track: the stable track takes it over, then the traffic.
stable_changed=1
k set image deployment/api-gateway "api-gateway=$image"
k rollout status deployment/api-gateway --timeout="$ROLLOUT_TIMEOUT" || roll_back "the stable pods did not take the release"
weigh 0
log "released $image"
