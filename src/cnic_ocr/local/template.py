"""Reads a CloudFormation/SAM template and resolves its intrinsic functions for one local stack.

Local mode creates what ``template.yaml`` declares instead of keeping a second list of names,
keys and indexes. CloudFormation's short tags (``!Ref``, ``!Sub``, ``!GetAtt``, ``!If``, ...) are
loaded as their long forms (``{"Ref": ...}``, ``{"Fn::Sub": ...}``), then :class:`Stack`
evaluates them the way CloudFormation would: parameters (defaults or overrides), pseudo
parameters, conditions, and the physical ids and attributes of resources once they exist.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml


class TemplateError(ValueError):
    """The template cannot be read or resolved locally; the message names the culprit."""


class _NoValue:
    """``AWS::NoValue``: the property or list item it stands for is left out."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Final = _NoValue()

#: Short tags whose long form is not ``Fn::<tag>``.
_LONG_NAMES: Final = {"Ref": "Ref", "Condition": "Condition"}
_SUB_VARIABLE: Final = re.compile(r"\$\{([^}]*)\}")


class _CloudFormationLoader(yaml.SafeLoader):
    """A safe YAML loader that turns ``!Tag value`` into CloudFormation's ``{"Fn::Tag": value}``."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = _LONG_NAMES.get(suffix, f"Fn::{suffix}")
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CloudFormationLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path) -> dict[str, Any]:
    """The template as plain data, short tags expanded; TemplateError if it is not a template."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TemplateError(f"cannot read the template {path}: {exc.strerror}") from exc
    try:
        loaded = yaml.load(text, Loader=_CloudFormationLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise TemplateError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(loaded, dict) or not isinstance(loaded.get("Resources"), dict):
        raise TemplateError(f"{path} has no Resources section: not a CloudFormation template")
    return loaded


def scalar_text(value: Any) -> str:
    """A template scalar as CloudFormation sees it: a string (YAML booleans as ``true``/``false``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass
class Stack:
    """One instance of a template: parameter values, pseudo parameters, and what was created.

    ``refs`` and ``attributes`` are filled in as resources are created (the value of
    ``!Ref Logical`` and of ``!GetAtt Logical.Attribute``); resolving a reference to a resource
    that was not created raises TemplateError.
    """

    template: dict[str, Any]
    name: str = "cnic-local"
    region: str = "us-east-1"
    account_id: str = "123456789012"
    parameter_overrides: Mapping[str, str] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        declared = self.template.get("Parameters") or {}
        unknown = sorted(set(self.parameter_overrides) - set(declared))
        if unknown:
            raise TemplateError(f"the template declares no parameter {', '.join(unknown)}")
        self._parameters = {name: self._parameter_value(name, spec) for name, spec in declared.items()}
        self._conditions: dict[str, bool] = {}

    # ------------------------------------------------------------------ declarations

    @property
    def stack_id(self) -> str:
        """Like CloudFormation's: the last path element is a UUID (stable for a stack name)."""
        stack_uuid = uuid.uuid5(uuid.NAMESPACE_URL, f"cnic-local:{self.name}")
        return f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/{self.name}/{stack_uuid}"

    def parameter(self, name: str) -> str:
        try:
            return self._parameters[name]
        except KeyError:
            raise TemplateError(f"the template declares no parameter {name}") from None

    def resource(self, logical_id: str) -> dict[str, Any]:
        resource = (self.template.get("Resources") or {}).get(logical_id)
        if not isinstance(resource, dict):
            raise TemplateError(f"the template declares no resource {logical_id}")
        return resource

    def resources(self) -> list[tuple[str, dict[str, Any]]]:
        """Every resource whose ``Condition`` holds, in template order."""
        return [
            (logical_id, resource)
            for logical_id, resource in self.template["Resources"].items()
            if "Condition" not in resource or self.condition(resource["Condition"])
        ]

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            conditions = self.template.get("Conditions") or {}
            if name not in conditions:
                raise TemplateError(f"the template declares no condition {name}")
            self._conditions[name] = self._truth(conditions[name])
        return self._conditions[name]

    def properties(self, logical_id: str) -> dict[str, Any]:
        """The resource's Properties with SAM's ``Globals`` merged in (Function/Api/...)."""
        resource = self.resource(logical_id)
        own: dict[str, Any] = resource.get("Properties") or {}
        kind = str(resource.get("Type", "")).removeprefix("AWS::Serverless::")
        if kind == resource.get("Type"):
            return own
        shared: dict[str, Any] = (self.template.get("Globals") or {}).get(kind) or {}
        return _merge_globals(shared, own)

    # ------------------------------------------------------------------ evaluation

    def resolve(self, value: Any) -> Any:
        """``value`` with every intrinsic function evaluated; ``AWS::NoValue`` items dropped."""
        if isinstance(value, dict):
            if len(value) == 1:
                (key, argument), *_ = value.items()
                if key == "Ref" or key.startswith("Fn::"):
                    return self._intrinsic(key, argument)
            resolved = {key: self.resolve(item) for key, item in value.items()}
            return {key: item for key, item in resolved.items() if item is not NO_VALUE}
        if isinstance(value, list):
            items = [self.resolve(item) for item in value]
            return [item for item in items if item is not NO_VALUE]
        return value

    def resolve_text(self, value: Any) -> str:
        resolved = self.resolve(value)
        if isinstance(resolved, dict | list) or resolved is NO_VALUE:
            raise TemplateError(f"expected a string, got {resolved!r}")
        return scalar_text(resolved)

    def _intrinsic(self, name: str, argument: Any) -> Any:
        match name:
            case "Ref":
                return self._ref(str(argument))
            case "Fn::GetAtt":
                logical_id, attribute = _get_att_parts(argument)
                return self._get_att(logical_id, attribute)
            case "Fn::Sub":
                return self._sub(argument)
            case "Fn::If":
                condition, when_true, when_false = _arguments(name, argument, 3)
                return self.resolve(when_true if self.condition(str(condition)) else when_false)
            case "Fn::Select":
                index, items = _arguments(name, argument, 2)
                chosen = self.resolve(items)
                position = int(self.resolve_text(index))
                if not isinstance(chosen, list) or not 0 <= position < len(chosen):
                    raise TemplateError(f"Fn::Select index {position} out of range of {chosen!r}")
                return chosen[position]
            case "Fn::Split":
                delimiter, text = _arguments(name, argument, 2)
                return self.resolve_text(text).split(str(delimiter))
            case "Fn::Join":
                delimiter, items = _arguments(name, argument, 2)
                parts = self.resolve(items)
                if not isinstance(parts, list):
                    raise TemplateError(f"Fn::Join needs a list, got {parts!r}")
                return str(delimiter).join(scalar_text(part) for part in parts)
            case "Fn::FindInMap":
                map_name, top_key, second_key = (
                    self.resolve_text(part) for part in _arguments(name, argument, 3)
                )
                try:
                    return self.resolve(self.template["Mappings"][map_name][top_key][second_key])
                except (KeyError, TypeError):
                    raise TemplateError(f"Fn::FindInMap: no {map_name}.{top_key}.{second_key}") from None
            case "Fn::Base64":
                return base64.b64encode(self.resolve_text(argument).encode("utf-8")).decode("ascii")
            case "Fn::Equals" | "Fn::Not" | "Fn::And" | "Fn::Or":
                return self._truth({name: argument})
        raise TemplateError(f"{name} is not supported in local mode")

    def _ref(self, name: str) -> Any:
        pseudo = self._pseudo_parameter(name)
        if pseudo is not None:
            return pseudo
        if name in self._parameters:
            return self._parameters[name]
        if name in self.refs:
            return self.refs[name]
        resource = self.resource(name)  # raises when undeclared
        raise TemplateError(f"{name} ({resource.get('Type')}) is not created in local mode")

    def _get_att(self, logical_id: str, attribute: str) -> str:
        try:
            return self.attributes[logical_id][attribute]
        except KeyError:
            resource = self.resource(logical_id)
            raise TemplateError(
                f"{logical_id}.{attribute} ({resource.get('Type')}) is not available in local mode"
            ) from None

    def _sub(self, argument: Any) -> str:
        if isinstance(argument, list):
            text, variables = _arguments("Fn::Sub", argument, 2)
        else:
            text, variables = argument, {}

        def replace(match: re.Match[str]) -> str:
            expression = match[1]
            if expression.startswith("!"):
                return "${" + expression[1:] + "}"  # ${!Literal} stands for itself
            if expression in variables:
                return self.resolve_text(variables[expression])
            if "." in expression and not expression.startswith("AWS::"):
                logical_id, attribute = expression.split(".", 1)
                return self._get_att(logical_id, attribute)
            return scalar_text(self._ref(expression))

        return _SUB_VARIABLE.sub(replace, str(text))

    def _truth(self, value: Any) -> bool:
        if not isinstance(value, dict) or len(value) != 1:
            raise TemplateError(f"not a condition: {value!r}")
        (name, argument), *_ = value.items()
        match name:
            case "Condition":
                return self.condition(str(argument))
            case "Fn::Equals":
                left, right = _arguments(name, argument, 2)
                return self.resolve_text(left) == self.resolve_text(right)
            case "Fn::Not":
                (inner,) = _arguments(name, argument, 1)
                return not self._truth(inner)
            case "Fn::And":
                return all(self._truth(inner) for inner in argument)
            case "Fn::Or":
                return any(self._truth(inner) for inner in argument)
        raise TemplateError(f"{name} cannot be used in a condition")

    def _pseudo_parameter(self, name: str) -> Any:
        values: dict[str, Any] = {
            "AWS::StackName": self.name,
            "AWS::StackId": self.stack_id,
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": NO_VALUE,
        }
        return values.get(name)

    def _parameter_value(self, name: str, spec: dict[str, Any]) -> str:
        if name in self.parameter_overrides:
            value = self.parameter_overrides[name]
            allowed = [scalar_text(item) for item in spec.get("AllowedValues") or []]
            if allowed and value not in allowed:
                raise TemplateError(f"parameter {name}={value!r} is not one of {', '.join(allowed)}")
            pattern = spec.get("AllowedPattern")
            if pattern is not None and re.fullmatch(str(pattern), value) is None:
                raise TemplateError(f"parameter {name}={value!r} does not match {pattern}")
            return value
        if "Default" not in spec:
            raise TemplateError(f"parameter {name} has no default: pass --parameter {name}=VALUE")
        return scalar_text(spec["Default"])


def _arguments(name: str, argument: Any, count: int) -> list[Any]:
    if not isinstance(argument, list) or len(argument) != count:
        raise TemplateError(f"{name} takes a list of {count} items, got {argument!r}")
    return argument


def _get_att_parts(argument: Any) -> tuple[str, str]:
    if isinstance(argument, str):
        argument = argument.split(".", 1)
    if not isinstance(argument, list) or len(argument) != 2:
        raise TemplateError(f"Fn::GetAtt takes Logical.Attribute, got {argument!r}")
    return str(argument[0]), str(argument[1])


def _merge_globals(shared: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    """SAM's rules: maps merge (the resource wins), lists add up (globals first), scalars are replaced."""
    merged = dict(shared)
    for key, value in own.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge_globals(merged[key], value)
        elif isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = [*merged[key], *value]
        else:
            merged[key] = value
    return merged
