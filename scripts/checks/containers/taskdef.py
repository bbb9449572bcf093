#!/usr/bin/env python3
"""Keeps infrastructure/codedeploy/taskdef.json equal to the api-gateway task definition of
infrastructure/ecs-task-definitions.yaml.

taskdef.json is that definition in the form `aws ecs register-task-definition` takes, with
`<IMAGE1_NAME>` for the service's image (wherever a container runs it) and `{{OutputKey}}` wherever the template uses a parameter or a
resource: buildspec.yml fills those from the stack's outputs. Every reference must therefore be
an output of the stack.

    taskdef.py --write   regenerate taskdef.json from the template
    taskdef.py --check   exit 1 when taskdef.json differs (or a reference has no output)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cfn_yaml  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = ROOT / "infrastructure" / "ecs-task-definitions.yaml"
TASKDEF = ROOT / "infrastructure" / "codedeploy" / "taskdef.json"
RESOURCE = "GatewayTaskDefinition"

# CloudFormation property names whose ECS API name is not the same name in lowerCamelCase.
RENAMES = {"Ulimits": "ulimits"}
# Maps whose keys are data, not property names (kept as written).
DATA_MAPS = {"Options"}


class Unresolved(Exception):
    pass


def camel(name: str) -> str:
    return RENAMES.get(name, name[:1].lower() + name[1:])


def build(template: dict) -> dict:
    outputs = template["Outputs"]
    # An output whose value is exactly this expression -> its key.
    by_value = {json.dumps(o["Value"], sort_keys=True): key for key, o in outputs.items()}

    def reference(expression) -> str:
        key = by_value.get(json.dumps(expression, sort_keys=True))
        if key is None:
            raise Unresolved(f"{json.dumps(expression)} is not an output of the stack")
        return "{{" + key + "}}"

    properties = template["Resources"][RESOURCE]["Properties"]
    # The service's image: its own container (the first) and any other container running the same image (the
    # redis-ca helper) get the image of the release.
    service_image = json.dumps(properties["ContainerDefinitions"][0]["Image"], sort_keys=True)

    def value(node, path: str):
        if path.endswith(".Image") and json.dumps(node, sort_keys=True) == service_image:
            return "<IMAGE1_NAME>"
        if isinstance(node, dict) and len(node) == 1 and next(iter(node)) in ("Ref", "Fn::GetAtt", "Fn::Sub"):
            key = by_value.get(json.dumps(node, sort_keys=True))
            if key is not None:
                return "{{" + key + "}}"
            if "Fn::Sub" in node and isinstance(node["Fn::Sub"], str):
                def variable(match):
                    name = match.group(1)
                    if "." in name:
                        return reference({"Fn::GetAtt": name.split(".", 1)})
                    return reference({"Ref": name})
                return re.sub(r"\$\{([^}!]+)\}", variable, node["Fn::Sub"])
            return reference(node)
        if isinstance(node, dict):
            data = path.rsplit(".", 1)[-1] in DATA_MAPS
            return {(k if data else camel(k)): value(v, f"{path}.{k}") for k, v in node.items()}
        if isinstance(node, list):
            return [value(v, f"{path}[{i}]") for i, v in enumerate(node)]
        return node

    return value(properties, RESOURCE)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--check", action="store_true")
    args = parser.parse_args()
    try:
        expected = build(cfn_yaml.load(TEMPLATE))
    except Unresolved as error:
        print(f"{RESOURCE}: {error}")
        return 1
    if args.write:
        TASKDEF.write_text(json.dumps(expected, indent=2) + "\n")
        print(f"wrote {TASKDEF.relative_to(ROOT)}")
        return 0
    actual = json.loads(TASKDEF.read_text())
    if actual != expected:
        print(f"{TASKDEF.relative_to(ROOT)} differs from {RESOURCE} (run taskdef.py --write)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
