"""Creates what ``template.yaml`` declares in moto, and the local plumbing Lambda would provide.

From the template: every bucket, DynamoDB table (keys, indexes, encryption, TTL), queue, secret
(its value generated as ``GenerateSecretString`` asks) and event bus whose condition holds, and
the S3-triggered function's settings (handler, timeout, environment, retries, on-failure
destination, S3 trigger). Other resources (policies, alarms, log groups, the API Gateway OCR
API, which the local OCR server replaces) are listed as not emulated.

Local only, because Lambda is not emulated: a queue that receives the bucket's notifications
(the dispatcher reads it and invokes the handler) and a rule copying every event of the bus to a
queue, so the run can show what was published.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from cnic_ocr.local.template import Stack, TemplateError

AwsClients = Callable[[str], Any]

#: The pipeline settings (environment variables) local mode needs to know about.
OCR_API_URL_VARIABLE: Final = "OCR_API_URL"
API_KEY_SECRET_VARIABLE: Final = "API_KEY_SECRET_NAME"  # noqa: S105 - a variable name, not a secret
EVENT_BUS_VARIABLE: Final = "EVENT_BUS_NAME"
#: The function serving the mobile uploads routes; locally the OCR API server serves them.
UPLOADS_FUNCTION: Final = "UploadsApiFunction"

#: Lambda's defaults when the template does not say.
DEFAULT_TIMEOUT_SECONDS: Final = 3
DEFAULT_MEMORY_MB: Final = 128
DEFAULT_ASYNC_RETRIES: Final = 2

_TABLE_INDEX_KEYS: Final = (
    "IndexName",
    "KeySchema",
    "Projection",
    "ProvisionedThroughput",
    "OnDemandThroughput",
)
_QUEUE_ATTRIBUTES: Final = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "SqsManagedSseEnabled",
    "FifoQueue",
    "ContentBasedDeduplication",
)
_PASSWORD_OPTIONS: Final = (
    "PasswordLength",
    "ExcludeCharacters",
    "ExcludeNumbers",
    "ExcludePunctuation",
    "ExcludeUppercase",
    "ExcludeLowercase",
    "IncludeSpace",
    "RequireEachIncludedType",
)


@dataclass(frozen=True, slots=True)
class CreatedResource:
    logical_id: str
    type: str
    physical_id: str


@dataclass(frozen=True, slots=True)
class S3Trigger:
    """An ``Events: {Type: S3}`` entry of the function: which bucket events invoke it."""

    name: str
    bucket: str
    events: tuple[str, ...]
    filter_rules: tuple[tuple[str, str], ...]

    @property
    def prefix(self) -> str:
        return next((value for name, value in self.filter_rules if name.lower() == "prefix"), "")


@dataclass(frozen=True, slots=True)
class UploadFunction:
    """What Lambda would know about the S3-triggered function."""

    logical_id: str
    handler: str
    timeout_seconds: int
    memory_mb: int
    environment: dict[str, str]
    max_retry_attempts: int
    trigger: S3Trigger
    #: ARN of the SQS queue Lambda sends the event to after the last failed retry.
    on_failure_queue_arn: str | None


@dataclass
class LocalDeployment:
    stack: Stack
    function: UploadFunction
    created: list[CreatedResource] = field(default_factory=list)
    not_emulated: list[CreatedResource] = field(default_factory=list)
    #: queue URL by queue ARN, for every queue created
    queue_urls: dict[str, str] = field(default_factory=dict)
    notifications_queue_url: str = ""
    events_queue_url: str = ""

    @property
    def dead_letter_queue_url(self) -> str | None:
        arn = self.function.on_failure_queue_arn
        return None if arn is None else self.queue_urls[arn]


def provision(stack: Stack, clients: AwsClients, *, ocr_api_url: str) -> LocalDeployment:
    """Creates the template's resources and the local plumbing; returns what exists now."""
    created: list[CreatedResource] = []
    not_emulated: list[CreatedResource] = []
    queue_urls: dict[str, str] = {}
    for logical_id, resource in stack.resources():
        kind = str(resource.get("Type"))
        creator = _CREATORS.get(kind)
        if creator is None:
            not_emulated.append(CreatedResource(logical_id, kind, ""))
            continue
        physical_id = creator(stack, clients, logical_id)
        stack.refs[logical_id] = physical_id
        created.append(CreatedResource(logical_id, kind, physical_id))
        if kind == "AWS::SQS::Queue":
            queue_urls[stack.attributes[logical_id]["Arn"]] = physical_id

    function = upload_function(stack, overrides={OCR_API_URL_VARIABLE: ocr_api_url})
    if function.on_failure_queue_arn is not None and function.on_failure_queue_arn not in queue_urls:
        raise TemplateError(
            f"{function.logical_id}'s on-failure destination {function.on_failure_queue_arn} "
            "is not a queue of the template"
        )
    deployment = LocalDeployment(stack, function, created, not_emulated, queue_urls)
    deployment.notifications_queue_url = _deliver_notifications_to_queue(stack, clients, function.trigger)
    bus = function.environment.get(EVENT_BUS_VARIABLE, "default")
    deployment.events_queue_url = _copy_bus_events_to_queue(stack, clients, bus)
    return deployment


def upload_function(stack: Stack, *, overrides: dict[str, str]) -> UploadFunction:
    """The one function of the template that S3 events invoke, resolved.

    Environment variables named in ``overrides`` take the given value and their template value
    is not resolved (it may refer to resources that local mode replaces, like the OCR API).
    """
    candidates = [
        (logical_id, trigger)
        for logical_id, resource in stack.resources()
        if resource.get("Type") == "AWS::Serverless::Function"
        for trigger in _s3_events(stack, logical_id)
    ]
    if len(candidates) != 1:
        found = ", ".join(f"{logical_id}.{trigger}" for logical_id, trigger in candidates) or "none"
        raise TemplateError(f"local mode runs exactly one S3-triggered function; the template has {found}")
    logical_id, trigger_name = candidates[0]
    props = stack.properties(logical_id)
    if "Handler" not in props:
        raise TemplateError(f"{logical_id} has no Handler (local mode runs zip functions in-process)")
    variables: dict[str, Any] = (props.get("Environment") or {}).get("Variables") or {}
    environment = {
        name: overrides[name] if name in overrides else stack.resolve_text(value)
        for name, value in variables.items()
    }
    environment |= {name: value for name, value in overrides.items() if name not in environment}
    invoke_config: dict[str, Any] = props.get("EventInvokeConfig") or {}
    return UploadFunction(
        logical_id=logical_id,
        handler=stack.resolve_text(props["Handler"]),
        timeout_seconds=int(stack.resolve_text(props.get("Timeout", DEFAULT_TIMEOUT_SECONDS))),
        memory_mb=int(stack.resolve_text(props.get("MemorySize", DEFAULT_MEMORY_MB))),
        environment=environment,
        max_retry_attempts=int(
            stack.resolve_text(invoke_config.get("MaximumRetryAttempts", DEFAULT_ASYNC_RETRIES))
        ),
        trigger=_s3_trigger(stack, logical_id, trigger_name, props["Events"][trigger_name]),
        on_failure_queue_arn=_on_failure_queue_arn(stack, logical_id, invoke_config),
    )


def function_environment(stack: Stack, logical_id: str) -> dict[str, str] | None:
    """The resolved ``Environment.Variables`` of a function; None if the template has no such function.

    Call it after :func:`provision`: the variables refer to the resources it created.
    """
    if logical_id not in dict(stack.resources()):
        return None
    variables: dict[str, Any] = (stack.properties(logical_id).get("Environment") or {}).get("Variables") or {}
    return {name: stack.resolve_text(value) for name, value in variables.items()}


def _s3_events(stack: Stack, logical_id: str) -> list[str]:
    events: dict[str, Any] = stack.properties(logical_id).get("Events") or {}
    return [name for name, event in events.items() if isinstance(event, dict) and event.get("Type") == "S3"]


def _s3_trigger(stack: Stack, logical_id: str, name: str, event: dict[str, Any]) -> S3Trigger:
    props = event.get("Properties") or {}
    kinds = stack.resolve(props.get("Events"))
    rules = stack.resolve(((props.get("Filter") or {}).get("S3Key") or {}).get("Rules") or [])
    if not kinds:
        raise TemplateError(f"{logical_id}.Events.{name} names no S3 event")
    return S3Trigger(
        name=name,
        bucket=stack.resolve_text(props.get("Bucket")),
        events=tuple(kinds) if isinstance(kinds, list) else (str(kinds),),
        filter_rules=tuple((str(rule["Name"]), str(rule["Value"])) for rule in rules),
    )


def _on_failure_queue_arn(stack: Stack, logical_id: str, invoke_config: dict[str, Any]) -> str | None:
    on_failure = (invoke_config.get("DestinationConfig") or {}).get("OnFailure")
    if not on_failure:
        return None
    kind = stack.resolve_text(on_failure.get("Type", "SQS"))
    if kind != "SQS":
        raise TemplateError(f"{logical_id}: only an SQS on-failure destination is emulated, not {kind}")
    return stack.resolve_text(on_failure["Destination"])


# ---------------------------------------------------------------------- one creator per type


def _create_bucket(stack: Stack, clients: AwsClients, logical_id: str) -> str:
    props = stack.resolve(stack.properties(logical_id))
    name = str(props.get("BucketName") or f"{stack.name}-{logical_id}".lower())
    s3 = clients("s3")
    location = {} if stack.region == "us-east-1" else {"LocationConstraint": stack.region}
    s3.create_bucket(Bucket=name, **({"CreateBucketConfiguration": location} if location else {}))
    if "BucketEncryption" in props:
        rules = [
            # CloudFormation's ServerSideEncryptionByDefault is the API's ApplyServerSideEncryptionByDefault
            {
                (
                    "ApplyServerSideEncryptionByDefault" if key == "ServerSideEncryptionByDefault" else key
                ): value
                for key, value in rule.items()
            }
            for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        ]
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
    if "PublicAccessBlockConfiguration" in props:
        s3.put_public_access_block(
            Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
        )
    if "VersioningConfiguration" in props:
        s3.put_bucket_versioning(
            Bucket=name, VersioningConfiguration={"Status": props["VersioningConfiguration"]["Status"]}
        )
    stack.attributes[logical_id] = {"Arn": f"arn:aws:s3:::{name}", "DomainName": f"{name}.s3.amazonaws.com"}
    return name


def _create_table(stack: Stack, clients: AwsClients, logical_id: str) -> str:
    props = stack.resolve(stack.properties(logical_id))
    name = str(props.get("TableName") or f"{stack.name}-{logical_id}")
    request: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PROVISIONED"),
    }
    if "ProvisionedThroughput" in props:
        request["ProvisionedThroughput"] = props["ProvisionedThroughput"]
    for indexes in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if indexes in props:
            request[indexes] = [
                {key: index[key] for key in _TABLE_INDEX_KEYS if key in index} for index in props[indexes]
            ]
    sse = props.get("SSESpecification")
    if sse:  # CloudFormation says SSEEnabled where the API says Enabled
        request["SSESpecification"] = {"Enabled": _true(sse.get("SSEEnabled"))} | {
            key: sse[key] for key in ("SSEType", "KMSMasterKeyId") if key in sse
        }
    dynamodb = clients("dynamodb")
    description = dynamodb.create_table(**request)["TableDescription"]
    ttl = props.get("TimeToLiveSpecification")
    if ttl and _true(ttl.get("Enabled")):
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]}
        )
    stack.attributes[logical_id] = {"Arn": description["TableArn"]}
    return name


def _create_queue(stack: Stack, clients: AwsClients, logical_id: str) -> str:
    props = stack.resolve(stack.properties(logical_id))
    name = str(props.get("QueueName") or f"{stack.name}-{logical_id}")
    attributes = {key: _attribute_text(props[key]) for key in _QUEUE_ATTRIBUTES if key in props}
    sqs = clients("sqs")
    url = str(sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    stack.attributes[logical_id] = {"Arn": arn, "QueueName": name, "QueueUrl": url}
    return url


def _create_secret(stack: Stack, clients: AwsClients, logical_id: str) -> str:
    props = stack.resolve(stack.properties(logical_id))
    name = str(props.get("Name") or f"{stack.name}-{logical_id}")
    secrets = clients("secretsmanager")
    value = props.get("SecretString")
    generate = props.get("GenerateSecretString")
    if value is None and generate is not None:
        options = {key: generate[key] for key in _PASSWORD_OPTIONS if key in generate}
        options = {key: int(v) if key == "PasswordLength" else v for key, v in options.items()}
        password = secrets.get_random_password(**options)["RandomPassword"]
        if "SecretStringTemplate" in generate:
            document = json.loads(generate["SecretStringTemplate"])
            document[generate["GenerateStringKey"]] = password
            value = json.dumps(document)
        else:
            value = password
    request: dict[str, Any] = {"Name": name, "Description": props.get("Description", "")}
    if value is not None:
        request["SecretString"] = str(value)
    arn = str(secrets.create_secret(**request)["ARN"])
    stack.attributes[logical_id] = {"Id": arn}
    return arn  # Ref of a secret is its ARN


def _create_event_bus(stack: Stack, clients: AwsClients, logical_id: str) -> str:
    props = stack.resolve(stack.properties(logical_id))
    name = str(props["Name"])
    arn = str(clients("events").create_event_bus(Name=name)["EventBusArn"])
    stack.attributes[logical_id] = {"Arn": arn, "Name": name}
    return name


_CREATORS: Final[dict[str, Callable[[Stack, AwsClients, str], str]]] = {
    "AWS::S3::Bucket": _create_bucket,
    "AWS::DynamoDB::Table": _create_table,
    "AWS::SQS::Queue": _create_queue,
    "AWS::SecretsManager::Secret": _create_secret,
    "AWS::Events::EventBus": _create_event_bus,
}

#: Resource types local mode creates.
EMULATED_TYPES: Final = tuple(_CREATORS)


# ---------------------------------------------------------------------- local-only plumbing


def _deliver_notifications_to_queue(stack: Stack, clients: AwsClients, trigger: S3Trigger) -> str:
    """The bucket notifies a queue instead of the function; the dispatcher plays Lambda's part."""
    sqs = clients("sqs")
    url = str(sqs.create_queue(QueueName=f"{stack.name}-s3-notifications")["QueueUrl"])
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    configuration: dict[str, Any] = {"Id": trigger.name, "QueueArn": arn, "Events": list(trigger.events)}
    if trigger.filter_rules:
        rules = [{"Name": name, "Value": value} for name, value in trigger.filter_rules]
        configuration["Filter"] = {"Key": {"FilterRules": rules}}
    clients("s3").put_bucket_notification_configuration(
        Bucket=trigger.bucket, NotificationConfiguration={"QueueConfigurations": [configuration]}
    )
    return url


def _copy_bus_events_to_queue(stack: Stack, clients: AwsClients, bus: str) -> str:
    """A rule matching every event of the account on ``bus``, targeting a queue the run reads."""
    sqs = clients("sqs")
    url = str(sqs.create_queue(QueueName=f"{stack.name}-published-events")["QueueUrl"])
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = clients("events")
    rule = f"{stack.name}-show-events"
    events.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps({"account": [stack.account_id]}))
    events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "published-events", "Arn": arn}])
    return url


def _true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _attribute_text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)
