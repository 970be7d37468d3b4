"""template.yaml: the uploads routes and function, least privilege, and the optional webhook.

``make test`` runs ``sam validate --lint`` (cfn-lint) on the same template; these tests pin
what the resources must say.
"""

from __future__ import annotations

import json
from typing import Any

from cnic_ocr.mobile.aws import UploadsSettings
from cnic_ocr.mobile.core import DEFAULT_MAX_UPLOAD_BYTES, DEFAULT_SLOT_SECONDS, UploadIdSigner
from cnic_ocr.pipeline.domain.events import DETAIL_TYPES, UploadEventDetail

from .support import EVENTS_DIR, FIELDS, template

WEBHOOK_RESOURCES = {
    "WebhookConnection": "AWS::Events::Connection",
    "WebhookDestination": "AWS::Events::ApiDestination",
    "WebhookInvokeRole": "AWS::IAM::Role",
    "WebhookRule": "AWS::Events::Rule",
    "WebhookDeadLetterQueue": "AWS::SQS::Queue",
    "WebhookDeadLetterQueuePolicy": "AWS::SQS::QueuePolicy",
    "WebhookDeadLetterAlarm": "AWS::CloudWatch::Alarm",
}


def resources() -> dict[str, Any]:
    found: dict[str, Any] = template()["Resources"]
    return found


def props(logical_id: str) -> dict[str, Any]:
    found: dict[str, Any] = resources()[logical_id]["Properties"]
    return found


def test_the_webhook_exists_only_with_a_url_and_its_secret() -> None:
    parameters = template()["Parameters"]
    assert (
        parameters["WebhookUrl"]["Default"] == ""
        and parameters["WebhookUrl"]["AllowedPattern"] == "^$|^https://.+"
    )
    assert parameters["WebhookHeaderValue"]["NoEcho"] is True
    for logical_id, kind in WEBHOOK_RESOURCES.items():
        assert resources()[logical_id]["Type"] == kind
        assert resources()[logical_id]["Condition"] == "HasWebhook", logical_id
    unconditional = [
        name
        for name, resource in resources().items()
        if name.startswith("Webhook") and "Condition" not in resource
    ]
    assert unconditional == []
    condition = template()["Conditions"]["HasWebhook"]["!And"]
    assert {"!Not": [{"!Equals": [{"!Ref": "WebhookUrl"}, ""]}]} in condition
    assert {"!Not": [{"!Equals": [{"!Ref": "WebhookHeaderValue"}, ""]}]} in condition
    # a URL without the secret is refused at deploy time rather than silently ignored
    rule = template()["Rules"]["WebhookNeedsItsSecret"]
    assert rule["RuleCondition"] == {"!Not": [{"!Equals": [{"!Ref": "WebhookUrl"}, ""]}]}
    assert rule["Assertions"][0]["Assert"] == {"!Not": [{"!Equals": [{"!Ref": "WebhookHeaderValue"}, ""]}]}


def test_the_connection_sends_the_secret_header_to_the_url() -> None:
    connection = props("WebhookConnection")
    assert connection["AuthorizationType"] == "API_KEY"
    assert connection["AuthParameters"]["ApiKeyAuthParameters"] == {
        "ApiKeyName": {"!Ref": "WebhookHeaderName"},
        "ApiKeyValue": {"!Ref": "WebhookHeaderValue"},
    }
    destination = props("WebhookDestination")
    assert destination["ConnectionArn"] == {"!GetAtt": "WebhookConnection.Arn"}
    assert destination["InvocationEndpoint"] == {"!Ref": "WebhookUrl"}
    assert destination["HttpMethod"] == "POST"


def test_the_rule_delivers_every_pipeline_event_with_retries_and_a_dead_letter_queue() -> None:
    rule = props("WebhookRule")
    assert rule["EventBusName"] == {"!If": ["UseCustomBus", {"!Ref": "EventBus"}, "default"]}
    assert rule["EventPattern"] == {"source": ["cnic-ocr.upload-pipeline"]}
    [target] = rule["Targets"]
    assert target["Arn"] == {"!GetAtt": "WebhookDestination.Arn"}
    assert target["RoleArn"] == {"!GetAtt": "WebhookInvokeRole.Arn"}
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400}
    assert target["DeadLetterConfig"] == {"Arn": {"!GetAtt": "WebhookDeadLetterQueue.Arn"}}
    # EventBridge may invoke the destination, and nothing else
    [policy] = props("WebhookInvokeRole")["Policies"]
    assert policy["PolicyDocument"]["Statement"] == [
        {
            "Effect": "Allow",
            "Action": "events:InvokeApiDestination",
            "Resource": {"!GetAtt": "WebhookDestination.Arn"},
        }
    ]
    trust = props("WebhookInvokeRole")["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    # only this rule may put dead letters into the queue, over TLS
    statements = {s["Sid"]: s for s in props("WebhookDeadLetterQueuePolicy")["PolicyDocument"]["Statement"]}
    allow = statements["EventBridgeDeadLetters"]
    assert (allow["Effect"], allow["Principal"], allow["Action"]) == (
        "Allow",
        {"Service": "events.amazonaws.com"},
        "sqs:SendMessage",
    )
    assert allow["Condition"] == {"ArnEquals": {"aws:SourceArn": {"!GetAtt": "WebhookRule.Arn"}}}
    assert statements["DenyInsecureTransport"]["Effect"] == "Deny"
    assert props("WebhookDeadLetterQueue")["SqsManagedSseEnabled"] is True


def test_the_webhook_payload_example_is_a_pipeline_event_for_an_upload_slot() -> None:
    example = json.loads((EVENTS_DIR / "webhook-payload-example.json").read_text(encoding="utf-8"))
    detail = UploadEventDetail.model_validate(example["detail"])
    assert example["detail-type"] == DETAIL_TYPES[detail.outcome]
    assert example["source"] in props("WebhookRule")["EventPattern"]["source"]
    prefix, upload_id = detail.object_key.split("/", 1)
    assert prefix + "/" == template()["Parameters"]["UploadPrefix"]["Default"]
    assert UploadIdSigner.ID_PATTERN.fullmatch(upload_id)
    assert detail.record_id == f"{detail.bucket}/{detail.object_key}"
    text = json.dumps(example)
    assert detail.fields is None and FIELDS["name"] not in text and FIELDS["idNumber"] not in text


def test_the_uploads_routes_require_a_key_on_the_same_api() -> None:
    function = props("UploadsApiFunction")
    assert function["Handler"] == "cnic_ocr.mobile.lambda_handler.lambda_handler"
    assert function["CodeUri"] == "src/" and "PackageType" not in function  # zip, no model inside
    routes = {
        (event["Properties"]["Path"], event["Properties"]["Method"]): event["Properties"]
        for event in function["Events"].values()
    }
    assert set(routes) == {("/v1/uploads", "post"), ("/v1/uploads/{uploadId}", "get")}
    for route in routes.values():
        assert route["RestApiId"] == {"!Ref": "OcrApi"} and route["Auth"] == {"ApiKeyRequired": True}
    ocr_routes = props("OcrApiFunction")["Events"]
    assert [e["Properties"]["RestApiId"] for e in ocr_routes.values()] == [{"!Ref": "OcrApi"}]
    # the API and its usage plan exist whichever OCR provider is used; the OCR route only self-hosted
    assert "Condition" not in resources()["OcrApi"] and "Condition" not in resources()["OcrApiUsagePlan"]
    assert resources()["OcrApiFunction"]["Condition"] == "UseSelfHostedOcr"


def test_the_uploads_function_has_least_privilege() -> None:
    policies = props("UploadsApiFunction")["Policies"]
    statements = {s["Sid"]: s for s in policies[0]["Statement"]}
    assert {sid: (s["Action"], s["Resource"]) for sid, s in statements.items()} == {
        "PresignUploads": ("s3:PutObject", {"!Sub": "${UploadBucket.Arn}/${UploadPrefix}*"}),
        "FindUploads": ("s3:ListBucket", {"!GetAtt": "UploadBucket.Arn"}),
        "ReadRecords": ("dynamodb:GetItem", {"!GetAtt": "RecordsTable.Arn"}),
    }
    assert statements["FindUploads"]["Condition"] == {
        "StringLike": {"s3:prefix": {"!Sub": "${UploadPrefix}*"}}
    }
    assert all(s["Effect"] == "Allow" for s in statements.values())
    assert policies[1:] == [
        {"AWSSecretsManagerGetSecretValuePolicy": {"SecretArn": {"!Ref": "UploadIdSecret"}}}
    ]


def test_the_function_environment_is_the_settings() -> None:
    variables = props("UploadsApiFunction")["Environment"]["Variables"]
    settings = {name.upper() for name in UploadsSettings.model_fields}
    assert settings <= set(variables)
    assert variables["UPLOAD_PREFIX"] == {"!Ref": "UploadPrefix"}
    assert variables["RECORDS_TABLE_NAME"] == {"!Ref": "RecordsTable"}
    parameters = template()["Parameters"]
    assert parameters["UploadSlotSeconds"]["Default"] == DEFAULT_SLOT_SECONDS
    assert parameters["UploadMaxBytes"]["Default"] == DEFAULT_MAX_UPLOAD_BYTES
    limits = UploadsSettings.model_fields["upload_slot_seconds"].metadata
    assert (parameters["UploadSlotSeconds"]["MinValue"], parameters["UploadSlotSeconds"]["MaxValue"]) == (
        next(m.ge for m in limits if hasattr(m, "ge")),
        next(m.le for m in limits if hasattr(m, "le")),
    )
    secret = props("UploadIdSecret")["GenerateSecretString"]
    assert secret["PasswordLength"] >= 32
