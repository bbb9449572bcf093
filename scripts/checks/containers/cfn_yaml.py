"""Loads CloudFormation YAML, turning the short-form tags into their long form.

`!Ref X` becomes {"Ref": "X"}, `!GetAtt A.B` becomes {"Fn::GetAtt": ["A", "B"]}, `!Sub s`
becomes {"Fn::Sub": s}, and so on, as CloudFormation itself reads them.
"""

from __future__ import annotations

from pathlib import Path

import yaml


class CfnLoader(yaml.SafeLoader):
    pass


def _construct(loader: CfnLoader, suffix: str, node: yaml.Node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        return {"Fn::GetAtt": value.split(".", 1)}
    if suffix == "Condition":
        return {"Condition": value}
    return {f"Fn::{suffix}": value}


CfnLoader.add_multi_constructor("!", _construct)


def load(path: Path) -> dict:
    return yaml.load(path.read_text(), Loader=CfnLoader)
