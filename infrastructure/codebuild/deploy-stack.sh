#!/usr/bin/env bash
# Deploys one release, whose five images are already in ECR, and proves it with the smoke test before production
# traffic reaches the new gateway. Run by buildspec.yml after the image-scan gate and by the pipeline's deploy actions
# (deploy.buildspec.yml), from the repository root. Two targets, as infrastructure/README.md explains (one per
# environment):
#   DEPLOY_TARGET=stack (default)  the CloudFormation stack STACK_NAME (infrastructure/ecs-task-definitions.yaml)
#   DEPLOY_TARGET=ecs              the services of the Terraform platform (modules/ecs) in ECS_CLUSTER: each release
#                                  is a new revision of each task definition family
#
#   1. note what runs now (the stack's ImageTag, or each service's task definition): what a failed release returns
#      the rolling services to
#   2. the rolling services (auth, user, chat, notification) move to the release: `cloudformation deploy
#      ImageTag=<new>`, or a new revision each and `ecs update-service`; ECS rolls each back on its circuit breaker or
#      its alarms
#   3. register the gateway's new task definition (the stack: codedeploy/taskdef.json with the image and the stack's
#      outputs; ecs: its current revision with the new image) and start its blue/green deployment
#   4. wait until the green tasks answer on the test listener (status Ready: the deployment group waits there, and
#      stops the deployment if nothing continues it)
#   5. chatctl smoke --gateway <test listener>: health, readiness, two throwaway users, a conversation, a WebSocket
#      message both ways, history, push target and notifications, through the new gateway and the new services
#   6. passed: continue the deployment (canary, then all; CodeDeploy still rolls back on the gateway's alarms) and
#      wait for it. Failed: stop it with rollback (production never reached the green tasks), return the rolling
#      services to what ran before, and fail.
#
# Environment: IMAGE_TAG, IMAGE_REPO (<registry>/<namespace>), ECR_REPOSITORY_NAMESPACE, CHATCTL (the chatctl binary),
# SMOKE_GATEWAY_URL (the stack: default its TestEndpoint output; ecs: required), READY_TIMEOUT_SECONDS (1800);
# the stack: STACK_NAME; ecs: ECS_CLUSTER, CODEDEPLOY_APP (the deployment group is api-gateway).
# Writes taskdef.rendered.json, appspec.rendered.yml and deployment.json (the build's artifacts).
set -euo pipefail

: "${IMAGE_TAG:?}" "${IMAGE_REPO:?}" "${ECR_REPOSITORY_NAMESPACE:?}" "${CHATCTL:?}"
DEPLOY_TARGET=${DEPLOY_TARGET:-stack}
READY_TIMEOUT_SECONDS=${READY_TIMEOUT_SECONDS:-1800}
ROLLING="auth user chat notification"
export IMAGE_TAG

log() { printf 'deploy-stack: %s\n' "$*"; }

case $DEPLOY_TARGET in
  stack) : "${STACK_NAME:?}" ;;
  ecs) : "${ECS_CLUSTER:?}" "${CODEDEPLOY_APP:?}" "${SMOKE_GATEWAY_URL:?}" ;;
  *)
    echo "deploy-stack: DEPLOY_TARGET must be stack or ecs" >&2
    exit 2
    ;;
esac

stack_deploy() {
  aws cloudformation deploy --stack-name "$STACK_NAME" --template-file infrastructure/ecs-task-definitions.yaml \
    --capabilities CAPABILITY_IAM --no-fail-on-empty-changeset \
    --parameter-overrides ImageTag="$1" EcrRepositoryNamespace="$ECR_REPOSITORY_NAMESPACE"
}

# A new revision of the task definition $1 (ARN) whose service runs image $2; prints its ARN.
new_revision() {
  aws ecs describe-task-definition --task-definition "$1" --include TAGS --output json >described.json
  python3 infrastructure/codebuild/ecs_revision.py described.json "$2" >revision.json
  aws ecs register-task-definition --cli-input-json file://revision.json --query taskDefinition.taskDefinitionArn --output text
}

current_task_definition() {
  aws ecs describe-services --cluster "$ECS_CLUSTER" --services "$1" --query 'services[0].taskDefinition' --output text
}

# 1 and 2: what runs now, then the rolling services.
declare -A previous=()
if [[ $DEPLOY_TARGET == stack ]]; then
  previous_tag=$(aws cloudformation describe-stacks --stack-name "$STACK_NAME" \
    --query "Stacks[0].Parameters[?ParameterKey=='ImageTag'].ParameterValue" --output text 2>/dev/null || true)
  [[ $previous_tag == None ]] && previous_tag=""
  log "stack $STACK_NAME: ImageTag ${previous_tag:-(none)} -> $IMAGE_TAG"
  stack_deploy "$IMAGE_TAG"
else
  for service in $ROLLING; do
    previous[$service]=$(current_task_definition "$service")
    revision=$(new_revision "${previous[$service]}" "${IMAGE_REPO}/${service}:${IMAGE_TAG}")
    log "$service: ${previous[$service]} -> $revision"
    aws ecs update-service --cluster "$ECS_CLUSTER" --service "$service" --task-definition "$revision" >/dev/null
  done
  # shellcheck disable=SC2086 # one argument per service
  aws ecs wait services-stable --cluster "$ECS_CLUSTER" --services $ROLLING
fi

# 3. The gateway's blue/green deployment.
if [[ $DEPLOY_TARGET == stack ]]; then
  # taskdef.json gets the image and the stack's outputs ({{OutputKey}}).
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
  application=$(python3 -c 'import json; print({o["OutputKey"]: o["OutputValue"] for o in json.load(open("stack-outputs.json"))}["CodeDeployApplicationName"])')
  group=$(python3 -c 'import json; print({o["OutputKey"]: o["OutputValue"] for o in json.load(open("stack-outputs.json"))}["CodeDeployDeploymentGroupName"])')
else
  task_definition=$(new_revision "$(current_task_definition api-gateway)" "${IMAGE_REPO}/api-gateway:${IMAGE_TAG}")
  cp revision.json taskdef.rendered.json
  application=$CODEDEPLOY_APP
  group=api-gateway
fi
TASK_DEFINITION="$task_definition" APPLICATION="$application" GROUP="$group" python3 - <<'PY'
import json, os
appspec = open("infrastructure/codedeploy/appspec.yml").read().replace("<TASK_DEFINITION>", os.environ["TASK_DEFINITION"])
open("appspec.rendered.yml", "w").write(appspec)
json.dump({
    "applicationName": os.environ["APPLICATION"],
    "deploymentGroupName": os.environ["GROUP"],
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
  if [[ $DEPLOY_TARGET == stack ]]; then
    [[ -z $previous_tag ]] || stack_deploy "$previous_tag"
  else
    for service in $ROLLING; do
      aws ecs update-service --cluster "$ECS_CLUSTER" --service "$service" --task-definition "${previous[$service]}" >/dev/null
    done
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
log "deployed $IMAGE_TAG"
