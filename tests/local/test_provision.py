"""The resources local mode creates are the ones template.yaml declares (moto in-process)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from cnic_ocr.local.dispatch import PutFacts, as_delivered_by_s3
from cnic_ocr.local.provision import (
    API_KEY_SECRET_VARIABLE,
    EMULATED_TYPES,
    EVENT_BUS_VARIABLE,
    OCR_API_URL_VARIABLE,
    UPLOADS_FUNCTION,
    LocalDeployment,
    function_environment,
    provision,
)
from cnic_ocr.local.runner import RECORDS_TABLE_VARIABLE
from cnic_ocr.local.template import Stack, load_template
from cnic_ocr.mobile.aws import UploadsSettings, build_uploads_api
from cnic_ocr.pipeline.settings import PipelineSettings
from cnic_ocr.records.dynamodb import ID_NUMBER_INDEX, IMAGE_SHA256_INDEX

from .conftest import TEMPLATE

Clients = Callable[[str], Any]
OCR_URL = "http://127.0.0.1:9"


def deploy(stack: Stack, aws: Clients) -> LocalDeployment:
    return provision(stack, aws, ocr_api_url=OCR_URL)


def declared(stack: Stack, kind: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: stack.resolve(stack.properties(logical_id))
        for logical_id, resource in stack.resources()
        if resource["Type"] == kind
    }


def test_every_emulated_resource_of_the_template_is_created(project_stack: Stack, aws: Clients) -> None:
    deployment = deploy(project_stack, aws)
    created = {item.logical_id for item in deployment.created}
    expected = {logical_id for logical_id, r in project_stack.resources() if r["Type"] in EMULATED_TYPES}
    assert created == expected
    assert {"UploadBucket", "RecordsTable", "IdempotencyTable", "EventBus", "ApiKeySecret"} <= created
    not_emulated = {item.logical_id for item in deployment.not_emulated}
    assert created.isdisjoint(not_emulated)
    assert created | not_emulated == {logical_id for logical_id, _ in project_stack.resources()}


def test_the_uploads_function_settings_name_what_was_created(
    project_stack: Stack, aws: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployment = deploy(project_stack, aws)
    environment = function_environment(project_stack, UPLOADS_FUNCTION)
    assert environment is not None
    pipeline = deployment.function.environment
    assert environment["UPLOAD_BUCKET_NAME"] == deployment.function.trigger.bucket
    assert environment["RECORDS_TABLE_NAME"] == pipeline[RECORDS_TABLE_VARIABLE]
    assert environment["UPLOAD_PREFIX"] == deployment.function.trigger.prefix
    assert environment["UPLOAD_ID_SECRET_NAME"] == project_stack.refs["UploadIdSecret"]
    # The OCR server builds the uploads routes from exactly these variables.
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert UploadsSettings().upload_slot_seconds == int(environment["UPLOAD_SLOT_SECONDS"])  # type: ignore[call-arg]
    assert build_uploads_api().serves("/v1/uploads")
    assert function_environment(project_stack, "NoSuchFunction") is None


def test_tables_have_the_template_keys_indexes_and_ttl(project_stack: Stack, aws: Clients) -> None:
    deploy(project_stack, aws)
    dynamodb = aws("dynamodb")
    for logical_id, props in declared(project_stack, "AWS::DynamoDB::Table").items():
        table = dynamodb.describe_table(TableName=project_stack.refs[logical_id])["Table"]
        assert table["KeySchema"] == props["KeySchema"]
        assert sorted(table["AttributeDefinitions"], key=str) == sorted(
            props["AttributeDefinitions"], key=str
        )
        indexes = {
            index["IndexName"]: index["KeySchema"] for index in table.get("GlobalSecondaryIndexes", [])
        }
        assert indexes == {i["IndexName"]: i["KeySchema"] for i in props.get("GlobalSecondaryIndexes", [])}
        ttl = dynamodb.describe_time_to_live(TableName=table["TableName"])["TimeToLiveDescription"]
        assert (ttl["TimeToLiveStatus"] == "ENABLED") == (props["TimeToLiveSpecification"]["Enabled"] is True)
    records = dynamodb.describe_table(TableName=project_stack.refs["RecordsTable"])["Table"]
    # The template and the pipeline's adapter agree on the index names it queries.
    assert {ID_NUMBER_INDEX, IMAGE_SHA256_INDEX} <= {
        i["IndexName"] for i in records["GlobalSecondaryIndexes"]
    }


def test_bucket_secret_bus_and_queue_follow_the_template(project_stack: Stack, aws: Clients) -> None:
    deployment = deploy(project_stack, aws)
    bucket = project_stack.refs["UploadBucket"]
    assert bucket == "cnic-uploads-" + project_stack.stack_id.rsplit("/", 1)[1]
    encryption = aws("s3").get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    assert encryption["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert aws("s3").get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"][
        "BlockPublicAcls"
    ]

    generate = project_stack.resource("ApiKeySecret")["Properties"]["GenerateSecretString"]
    key = aws("secretsmanager").get_secret_value(SecretId=project_stack.refs["ApiKeySecret"])["SecretString"]
    assert len(key) == generate["PasswordLength"] and key.isalnum()

    assert aws("events").describe_event_bus(Name=project_stack.refs["EventBus"])["Name"].endswith("-cnic-ocr")
    queue = project_stack.resource("UploadDeadLetterQueue")["Properties"]
    attributes = aws("sqs").get_queue_attributes(
        QueueUrl=deployment.dead_letter_queue_url, AttributeNames=["MessageRetentionPeriod"]
    )["Attributes"]
    assert attributes["MessageRetentionPeriod"] == str(queue["MessageRetentionPeriod"])


def test_the_function_environment_names_the_created_resources(project_stack: Stack, aws: Clients) -> None:
    function = deploy(project_stack, aws).function
    assert function.handler == "cnic_ocr.pipeline.handler.lambda_handler"
    assert function.timeout_seconds == int(project_stack.parameter("UploadFunctionTimeout"))
    assert function.max_retry_attempts == 2
    assert function.on_failure_queue_arn == project_stack.attributes["UploadDeadLetterQueue"]["Arn"]
    env = function.environment
    assert env[RECORDS_TABLE_VARIABLE] == project_stack.refs["RecordsTable"]
    assert env["IDEMPOTENCY_TABLE_NAME"] == project_stack.refs["IdempotencyTable"]
    assert env[EVENT_BUS_VARIABLE] == project_stack.refs["EventBus"]
    assert env[API_KEY_SECRET_VARIABLE].startswith("arn:aws:secretsmanager:")  # Ref of a secret is its ARN
    assert env[OCR_API_URL_VARIABLE] == OCR_URL
    assert env["UPLOAD_PREFIX"] == function.trigger.prefix == "uploads/"
    # The variables local mode relies on are settings the pipeline reads.
    settings = {name.upper() for name in PipelineSettings.model_fields}
    assert {
        RECORDS_TABLE_VARIABLE,
        EVENT_BUS_VARIABLE,
        API_KEY_SECRET_VARIABLE,
        OCR_API_URL_VARIABLE,
    } <= settings
    assert PipelineSettings.model_validate({k.lower(): v for k, v in env.items()}).records_table_name


def test_default_bus_mode_publishes_to_the_default_bus(aws: Clients) -> None:
    stack = Stack(load_template(TEMPLATE), parameter_overrides={"EventBusMode": "default"})
    deployment = deploy(stack, aws)
    assert "EventBus" not in {item.logical_id for item in deployment.created}
    assert deployment.function.environment[EVENT_BUS_VARIABLE] == "default"
    rules = aws("events").list_rules(EventBusName="default")["Rules"]
    assert [rule["Name"] for rule in rules] == [f"{stack.name}-show-events"]


def test_uploads_under_the_prefix_notify_the_queue_in_the_shape_the_handler_parses(
    project_stack: Stack, aws: Clients
) -> None:
    from cnic_ocr.pipeline.handler import uploads_in

    deployment = deploy(project_stack, aws)
    s3, sqs = aws("s3"), aws("sqs")
    bucket = deployment.function.trigger.bucket
    answer = s3.put_object(Bucket=bucket, Key="uploads/a folder/phone photo 1.jpg", Body=b"x")
    s3.put_object(Bucket=bucket, Key="elsewhere/not-watched.jpg", Body=b"x")

    bodies = [
        json.loads(m["Body"])
        for m in sqs.receive_message(QueueUrl=deployment.notifications_queue_url, MaxNumberOfMessages=10)[
            "Messages"
        ]
    ]
    notifications = [body for body in bodies if body.get("Event") != "s3:TestEvent"]
    assert len(notifications) == 1  # nothing for the key outside the prefix
    [record] = notifications[0]["Records"]
    facts = PutFacts(request_id=answer["ResponseMetadata"]["RequestId"], sequencer="0055AA")
    delivered = as_delivered_by_s3(record, facts, project_stack.account_id)
    assert delivered["s3"]["object"]["key"] == "uploads/a+folder/phone+photo+1.jpg"  # URL-encoded as S3 does

    [upload] = uploads_in({"Records": [delivered]})
    assert upload.key == "uploads/a folder/phone photo 1.jpg"
    assert upload.bucket == bucket
    assert upload.sequencer == "0055AA"
    assert upload.request_id == facts.request_id
    assert upload.etag == answer["ETag"].strip('"')


def test_every_event_of_the_bus_is_copied_to_the_events_queue(project_stack: Stack, aws: Clients) -> None:
    deployment = deploy(project_stack, aws)
    aws("events").put_events(
        Entries=[
            {
                "Source": "anything.at.all",
                "DetailType": "Demo",
                "Detail": json.dumps({"n": 1}),
                "EventBusName": deployment.function.environment[EVENT_BUS_VARIABLE],
            }
        ]
    )
    messages = aws("sqs").receive_message(QueueUrl=deployment.events_queue_url)["Messages"]
    assert json.loads(messages[0]["Body"])["detail"] == {"n": 1}


@pytest.mark.parametrize("bad", ["Missing", "Queue"])
def test_a_template_without_exactly_one_s3_function_is_refused(tmp_path: Any, aws: Clients, bad: str) -> None:
    text = TEMPLATE.read_text(encoding="utf-8")
    if bad == "Missing":
        text = text.replace("Type: S3\n", "Type: SQS\n")
    else:
        text = text.replace("Type: SQS\n            Destination", "Type: SNS\n            Destination")
    path = tmp_path / "template.yaml"
    path.write_text(text, encoding="utf-8")
    from cnic_ocr.local.template import TemplateError

    complaint = "exactly one S3-triggered function" if bad == "Missing" else "only an SQS on-failure"
    with pytest.raises(TemplateError, match=complaint):
        deploy(Stack(load_template(path)), aws)
