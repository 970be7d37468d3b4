"""Reading template.yaml: CloudFormation short tags, intrinsic functions, conditions, parameters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cnic_ocr.local.template import NO_VALUE, Stack, TemplateError, load_template

SMALL_TEMPLATE = """
Parameters:
  Prefix: {Type: String, Default: uploads/, AllowedPattern: "^[^/].*/$"}
  Mode: {Type: String, Default: custom, AllowedValues: [custom, default]}
  Days: {Type: Number, Default: 0}
  Flag: {Type: String, Default: true}
  Required: {Type: String}
Conditions:
  IsCustom: !Equals [!Ref Mode, custom]
  HasDays: !Not [!Equals [!Ref Days, 0]]
  Both: !And [!Condition IsCustom, !Not [!Condition HasDays]]
  Either: !Or [!Condition HasDays, !Equals [!Ref Flag, "true"]]
Mappings:
  Sizes: {small: {memory: 256}}
Globals:
  Function:
    Timeout: 30
    Environment: {Variables: {SHARED: one, OVERRIDDEN: global}}
    Layers: [first]
Resources:
  Bus:
    Type: AWS::Events::EventBus
    Condition: IsCustom
    Properties: {Name: !Sub "${AWS::StackName}-bus"}
  Queue:
    Type: AWS::SQS::Queue
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: pkg.module.handler
      Timeout: 60
      Environment: {Variables: {OVERRIDDEN: own}}
      Layers: [second]
      Values:
        stackUuid: !Select [2, !Split ["/", !Ref AWS::StackId]]
        bucket: !Sub
          - cnic-${Id}-${AWS::Region}
          - Id: !Select [0, !Split ["-", !Ref AWS::StackName]]
        literal: !Sub "${!NotAVariable}-${Prefix}"
        queueArn: !GetAtt Queue.Arn
        queueArnInSub: !Sub "${Queue.Arn}/x"
        joined: !Join [",", [a, !Ref Prefix, 3]]
        chosen: !If [HasDays, !Ref Days, !Ref AWS::NoValue]
        bus: !If [IsCustom, !Ref Bus, default]
        memory: !FindInMap [Sizes, small, memory]
        list: [a, !Ref AWS::NoValue, b]
"""


def small_stack(tmp_path: Path, **overrides: str) -> Stack:
    path = tmp_path / "template.yaml"
    path.write_text(SMALL_TEMPLATE, encoding="utf-8")
    return Stack(load_template(path), name="demo-stack", parameter_overrides={"Required": "x", **overrides})


def values(stack: Stack) -> dict[str, Any]:
    resolved: dict[str, Any] = stack.resolve(stack.properties("Fn")["Values"])
    return resolved


def test_short_tags_load_as_their_long_forms(tmp_path: Path) -> None:
    template = small_stack(tmp_path).template
    raw = template["Resources"]["Fn"]["Properties"]["Values"]
    assert raw["queueArn"] == {"Fn::GetAtt": ["Queue", "Arn"]}
    assert raw["chosen"] == {"Fn::If": ["HasDays", {"Ref": "Days"}, {"Ref": "AWS::NoValue"}]}
    assert template["Conditions"]["Both"]["Fn::And"][0] == {"Condition": "IsCustom"}


def test_intrinsic_functions_resolve_like_cloudformation(tmp_path: Path) -> None:
    stack = small_stack(tmp_path)
    stack.refs["Bus"] = "demo-stack-bus"
    stack.attributes["Queue"] = {"Arn": "arn:aws:sqs:us-east-1:123456789012:q"}
    resolved = values(stack)
    assert resolved["stackUuid"] == stack.stack_id.rsplit("/", 1)[1]
    assert resolved["bucket"] == "cnic-demo-us-east-1"
    assert resolved["literal"] == "${NotAVariable}-uploads/"
    assert resolved["queueArn"] == "arn:aws:sqs:us-east-1:123456789012:q"
    assert resolved["queueArnInSub"] == "arn:aws:sqs:us-east-1:123456789012:q/x"
    assert resolved["joined"] == "a,uploads/,3"
    assert "chosen" not in resolved  # AWS::NoValue removes the property
    assert resolved["bus"] == "demo-stack-bus"
    assert resolved["memory"] == 256
    assert resolved["list"] == ["a", "b"]
    assert stack.resolve({"Ref": "AWS::NoValue"}) is NO_VALUE


def test_conditions_follow_parameters(tmp_path: Path) -> None:
    default = small_stack(tmp_path)
    assert (default.condition("IsCustom"), default.condition("HasDays")) == (True, False)
    assert default.condition("Both") and default.condition("Either")
    assert [logical_id for logical_id, _ in default.resources()] == ["Bus", "Queue", "Fn"]

    other = small_stack(tmp_path, Mode="default", Days="7", Flag="false")
    assert (other.condition("IsCustom"), other.condition("HasDays")) == (False, True)
    assert not other.condition("Both") and other.condition("Either")
    assert [logical_id for logical_id, _ in other.resources()] == ["Queue", "Fn"]
    other.attributes["Queue"] = {"Arn": "arn"}
    assert values(other)["chosen"] == "7"
    assert values(other)["bus"] == "default"


def test_sam_globals_merge_into_functions(tmp_path: Path) -> None:
    props = small_stack(tmp_path).properties("Fn")
    assert props["Timeout"] == 60
    assert props["Environment"]["Variables"] == {"SHARED": "one", "OVERRIDDEN": "own"}
    assert props["Layers"] == ["first", "second"]
    assert "Timeout" not in small_stack(tmp_path).properties("Queue")


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"Mode": "other"}, "is not one of custom, default"),
        ({"Prefix": "/abs/"}, "does not match"),
        ({"Unknown": "1"}, "declares no parameter Unknown"),
    ],
)
def test_bad_parameter_overrides_are_refused(
    tmp_path: Path, overrides: dict[str, str], complaint: str
) -> None:
    with pytest.raises(TemplateError, match=complaint):
        small_stack(tmp_path, **overrides)


def test_a_parameter_without_default_must_be_given(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(SMALL_TEMPLATE, encoding="utf-8")
    with pytest.raises(TemplateError, match="Required has no default"):
        Stack(load_template(path))


def test_references_to_resources_not_created_say_so(tmp_path: Path) -> None:
    stack = small_stack(tmp_path)
    with pytest.raises(TemplateError, match=r"Bus \(AWS::Events::EventBus\) is not created"):
        stack.resolve({"Ref": "Bus"})
    with pytest.raises(TemplateError, match=r"Queue.Arn \(AWS::SQS::Queue\) is not available"):
        stack.resolve({"Fn::GetAtt": ["Queue", "Arn"]})
    with pytest.raises(TemplateError, match="declares no resource Nothing"):
        stack.resolve({"Ref": "Nothing"})
    with pytest.raises(TemplateError, match="Fn::ImportValue is not supported"):
        stack.resolve({"Fn::ImportValue": "x"})


@pytest.mark.parametrize(
    ("text", "complaint"),
    [("Resources: [", "not valid YAML"), ("Description: no resources\n", "no Resources section")],
)
def test_what_is_not_a_template_is_refused(tmp_path: Path, text: str, complaint: str) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TemplateError, match=complaint):
        load_template(path)
    with pytest.raises(TemplateError, match="cannot read"):
        load_template(tmp_path / "missing.yaml")


def test_the_project_template_reads_with_its_defaults(project_stack: Stack) -> None:
    assert project_stack.condition("UseCustomBus")
    assert project_stack.condition("UseSelfHostedOcr")
    assert project_stack.parameter("UploadPrefix") == "uploads/"
    types = {str(resource["Type"]) for _, resource in project_stack.resources()}
    assert {"AWS::S3::Bucket", "AWS::DynamoDB::Table", "AWS::Serverless::Function"} <= types
