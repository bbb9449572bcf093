#!/usr/bin/env bash
# Deploys one release, whose five images are already in ECR, to the ECS stack STACK_NAME and proves it with the
# smoke test before production traffic reaches the new gateway. Run by buildspec.yml after the image-scan gate and by
# the pipeline's deploy actions (deploy.buildspec.yml), from the repository root.
#
#   1. note the stack's current ImageTag (what a failed release returns the rolling services to)
#   2. aws cloudformation deploy ImageTag=<new>: auth, user, chat and notification roll (ECS rolls each back on its
#      circuit breaker or alarms)
#   3. register the gateway's task definition (codedeploy/taskdef.json with the image and the stack's outputs) and
#      start its blue/green deployment (codedeploy/appspec.yml)
#   4. wait until the green tasks answer on the test listener (the deployment's status is Ready: the deployment group
#      waits there, STOP_DEPLOYMENT on timeout)
#   5. chatctl smoke --gateway <test listener>: health, readiness, two throwaway users, a conversation, a WebSocket
#      message both ways, history, push target and notifications, through the new gateway and the new services
#   6. passed: continue the deployment (canary, then all; CodeDeploy still rolls back on the gateway's alarms) and
#      wait for it. Failed: stop it with rollback (production never reached the green tasks), put the rolling
#      services back on the previous ImageTag, and fail.
#
# Environment: STACK_NAME, IMAGE_TAG, IMAGE_REPO (<registry>/<namespace>), ECR_REPOSITORY_NAMESPACE, CHATCTL (the
# chatctl binary), SMOKE_GATEWAY_URL (default: the stack's TestEndpoint output), READY_TIMEOUT_SECONDS (default 1800).
# Writes taskdef.rendered.json, appspec.rendered.yml and deployment.json (the build's artifacts).
set -euo pipefail

: "${STACK_NAME:?}" "${IMAGE_TAG:?}" "${IMAGE_REPO:?}" "${ECR_REPOSITORY_NAMESPACE:?}" "${CHATCTL:?}"
READY_TIMEOUT_SECONDS=${READY_TIMEOUT_SECONDS:-1800}
export IMAGE_TAG

log() { printf 'deploy-stack: %s\n' "$*"; }

# 1. What runs now (empty on the stack's first deployment).
previous_tag=$(aws cloudformation describe-stacks --stack-name "$STACK_NAME" \
  --query "Stacks[0].Parameters[?ParameterKey=='ImageTag'].ParameterValue" --output text 2>/dev/null || true)
[[ $previous_tag == None ]] && previous_tag=""
log "stack $STACK_NAME: ImageTag ${previous_tag:-(none)} -> $IMAGE_TAG"

# 2. The rolling services.
aws cloudformation deploy --stack-name "$STACK_NAME" --template-file infrastructure/ecs-task-definitions.yaml \
  --capabilities CAPABILITY_IAM --no-fail-on-empty-changeset \
  --parameter-overrides ImageTag="$IMAGE_TAG" EcrRepositoryNamespace="$ECR_REPOSITORY_NAMESPACE"

# 3. The gateway: taskdef.json gets the image and the stack's outputs ({{OutputKey}}), appspec.yml the revision.
aws cloudformation describe-stacks --stack-name "$STACK_NAME" --query 'Stacks[0].Outputs' --output json >stack-outputs.json
GATEWAY_IMAGE="${IMAGE_REPO}/api-gateway:${IMAGE_TAG}" python3 - <<'PY'
import json, os, re
outputs = {o["OutputKey"]: o["OutputValue"] for o in json.load(open("stack-outputs.json"))}
text = open("infrastructure/codedeploy/taskdef.json").read()
text = text.replace("<IMAGE1_NAME>", os.environ["GATEWAY_IMAGE"])
text = re.sub(r"\{\{(\w+)\}\}", lambda m: outputs[m.group(1)], text)
json.loads(text)
open("taskdef.rendered.json", "w").write(text)
PY
task_definition=$(aws ecs register-task-definition --cli-input-json file://taskdef.rendered.json \
  --query taskDefinition.taskDefinitionArn --output text)
TASK_DEFINITION="$task_definition" python3 - <<'PY'
import json, os
outputs = {o["OutputKey"]: o["OutputValue"] for o in json.load(open("stack-outputs.json"))}
appspec = open("infrastructure/codedeploy/appspec.yml").read().replace("<TASK_DEFINITION>", os.environ["TASK_DEFINITION"])
open("appspec.rendered.yml", "w").write(appspec)
json.dump({
    "applicationName": outputs["CodeDeployApplicationName"],
    "deploymentGroupName": outputs["CodeDeployDeploymentGroupName"],
    "description": "api-gateway " + os.environ["IMAGE_TAG"],
    "revision": {"revisionType": "AppSpecContent", "appSpecContent": {"content": appspec}},
}, open("deployment.json", "w"))
PY
deployment=$(aws deploy create-deployment --cli-input-json file://deployment.json --query deploymentId --output text)
log "CodeDeploy deployment $deployment"

# A failed release: production never moved to the green tasks; stop them and return the rolling services.
roll_back() {
  log "rolling back: $1"
  aws deploy stop-deployment --deployment-id "$deployment" --auto-rollback-enabled || true
  if [[ -n $previous_tag ]]; then
    aws cloudformation deploy --stack-name "$STACK_NAME" --template-file infrastructure/ecs-task-definitions.yaml \
      --capabilities CAPABILITY_IAM --no-fail-on-empty-changeset \
      --parameter-overrides ImageTag="$previous_tag" EcrRepositoryNamespace="$ECR_REPOSITORY_NAMESPACE"
  fi
  exit 1
}

# 4. Green serves the test listener.
deadline=$((SECONDS + READY_TIMEOUT_SECONDS))
while :; do
  status=$(aws deploy get-deployment --deployment-id "$deployment" --query deploymentInfo.status --output text)
  case $status in
    Ready) break ;;
    Failed | Stopped) roll_back "the deployment ended as $status before the smoke test" ;;
  esac
  ((SECONDS < deadline)) || roll_back "the green tasks were not ready after ${READY_TIMEOUT_SECONDS} s"
  sleep 15
done

# 5. The smoke test, through the test listener.
gateway=${SMOKE_GATEWAY_URL:-$(python3 -c 'import json; print({o["OutputKey"]: o["OutputValue"] for o in json.load(open("stack-outputs.json"))}["TestEndpoint"])')}
log "smoke test against $gateway"
"$CHATCTL" smoke --gateway "$gateway" || roll_back "the smoke test failed"

# 6. Production traffic.
aws deploy continue-deployment --deployment-id "$deployment" --deployment-wait-type READY_WAIT
# Fails the build when CodeDeploy rolls back (an alarm during the canary, failed health checks).
aws deploy wait deployment-successful --deployment-id "$deployment"
log "deployed $IMAGE_TAG to $STACK_NAME"
