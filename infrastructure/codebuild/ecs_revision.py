#!/usr/bin/env python3
"""Prints a new revision of a registered ECS task definition with the service's image replaced, ready for
`aws ecs register-task-definition --cli-input-json file://...`.

    ecs_revision.py TASK_DEFINITION_JSON NEW_IMAGE > revision.json

TASK_DEFINITION_JSON is what `aws ecs describe-task-definition --task-definition <arn>` printed. Every container that
runs the service's current image (the service itself and its redis-ca helper, which runs the same image) gets
NEW_IMAGE; the collector keeps its own. The fields ECS fills in on registration are dropped. deploy-stack.sh uses it
for environments whose services the Terraform ecs module created (DEPLOY_TARGET=ecs), where a release is a new
revision of each family rather than a stack update.
"""

from __future__ import annotations

import json
import sys

# Read-only fields of a described task definition, which register-task-definition refuses.
DROPPED = {"taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities", "registeredAt",
           "registeredBy", "deregisteredAt"}


def main() -> int:
    described, image = json.load(open(sys.argv[1])), sys.argv[2]
    definition = described.get("taskDefinition", described)
    containers = definition["containerDefinitions"]
    current = containers[0]["image"]
    for container in containers:
        if container["image"] == current:
            container["image"] = image
    revision = {key: value for key, value in definition.items() if key not in DROPPED}
    if described.get("tags"):
        revision["tags"] = described["tags"]
    json.dump(revision, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
