"""The POST policy of an upload slot, decoded: what S3 will and will not take into the slot."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from cnic_ocr.mobile.aws import PRESIGN_CONFIG, S3PostPresigner
from cnic_ocr.mobile.core import KEY_ID_FIELD, UPLOAD_CONTENT_TYPES, PostPolicy, UploadIdSigner

from .support import (
    APP_KEY,
    BUCKET,
    PREFIX,
    SESSION,
    UPLOAD_ID_SECRET_VALUE,
    AwsStack,
    FakeClock,
    ask_for_slot,
    decoded_policy,
    post_to_s3,
    uploads_api,
)

TEN_MIB = 10 * 1024 * 1024


def lasts(expiration: datetime, before: datetime, after: datetime, lifetime: timedelta) -> bool:
    """Whether a policy signed between ``before`` and ``after`` expires ``lifetime`` later (boto3
    writes the expiration to the second; a slow machine only widens the window)."""
    return before.replace(microsecond=0) + lifetime <= expiration <= after + lifetime


def test_the_policy_allows_one_key_one_image_type_1_byte_to_10_mib_for_5_minutes(
    aws: AwsStack, clock: FakeClock
) -> None:
    before = datetime.now(UTC)
    slot = ask_for_slot(uploads_api(clock), content_type="image/png")
    after = datetime.now(UTC)
    policy = decoded_policy(slot["fields"])
    conditions = policy["conditions"]
    key_id = UploadIdSigner(UPLOAD_ID_SECRET_VALUE.encode()).key_id(APP_KEY)

    assert {"bucket": BUCKET} in conditions
    assert {"key": PREFIX + slot["uploadId"]} in conditions  # exactly this key, no starts-with
    assert {"Content-Type": "image/png"} in conditions
    assert ["content-length-range", 1, TEN_MIB] in conditions
    assert {KEY_ID_FIELD: key_id} in conditions
    assert not [c for c in conditions if isinstance(c, list) and c[0] == "starts-with"]
    expiration = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%S%z")
    assert lasts(expiration, before, after, timedelta(seconds=300))
    # SigV4 (buckets created since 2020 refuse SigV2 posts); the session token is pinned too
    assert slot["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    assert {"x-amz-security-token": slot["fields"]["x-amz-security-token"]} in conditions
    # the fields handed out are exactly the ones the conditions name (else S3 refuses the post)
    named = {next(iter(c)) for c in conditions if isinstance(c, dict)} - {"bucket"}
    assert named == set(slot["fields"]) - {"policy", "x-amz-signature"}


@pytest.mark.parametrize("content_type", UPLOAD_CONTENT_TYPES)
def test_every_listed_image_type_gets_a_slot_pinned_to_it(
    aws: AwsStack, clock: FakeClock, content_type: str
) -> None:
    slot = ask_for_slot(uploads_api(clock), content_type=content_type.upper())
    assert {"Content-Type": content_type} in decoded_policy(slot["fields"])["conditions"]
    assert slot["fields"]["Content-Type"] == content_type


def test_s3_refuses_what_the_policy_does_not_allow(aws: AwsStack, clock: FakeClock) -> None:
    slot = ask_for_slot(uploads_api(clock))
    fields = slot["fields"]
    assert post_to_s3(slot, b"") == "content length 0 outside 1..10485760"
    assert post_to_s3(slot, b"\xff" * (TEN_MIB + 1)) == "content length 10485761 outside 1..10485760"
    assert post_to_s3(slot, b"x", fields=dict(fields, key=PREFIX + "someone-elses-key")) == (
        "key does not satisfy the policy"
    )
    assert post_to_s3(slot, b"x", fields=dict(fields, **{"Content-Type": "text/html"})) == (
        "content-type does not satisfy the policy"
    )
    assert post_to_s3(slot, b"x", fields=dict(fields, **{KEY_ID_FIELD: "0" * 32})) == (
        "x-amz-meta-api-key-id does not satisfy the policy"
    )
    assert post_to_s3(slot, b"x", fields=dict(fields, acl="public-read")) == "extra input fields: ['acl']"
    # a client widening the size range in the policy breaks its signature
    widened = decoded_policy(fields)
    widened["conditions"] = [
        ["content-length-range", 1, 10 * TEN_MIB] if isinstance(c, list) else c for c in widened["conditions"]
    ]
    forged = dict(fields, policy=base64.b64encode(json.dumps(widened).encode()).decode())
    assert post_to_s3(slot, b"x", fields=forged) == "signature does not match"
    # what the slot is for is accepted, and lands under the slot's key
    assert post_to_s3(slot, b"\xff" * TEN_MIB).status_code == 204  # type: ignore[union-attr]
    assert aws.s3.head_object(Bucket=BUCKET, Key=PREFIX + slot["uploadId"])["ContentLength"] == TEN_MIB


def test_slot_length_and_size_limit_are_settings(aws: AwsStack, clock: FakeClock) -> None:
    before = datetime.now(UTC)
    slot = ask_for_slot(uploads_api(clock, slot_seconds=60, max_bytes=2_000_000))
    after = datetime.now(UTC)
    assert slot["expiresIn"] == 60
    policy = decoded_policy(slot["fields"])
    assert ["content-length-range", 1, 2_000_000] in policy["conditions"]
    expiration = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%S%z")
    assert lasts(expiration, before, after, timedelta(seconds=60))


def test_slots_outside_us_east_1_post_to_the_bucket_s_regional_endpoint(aws: AwsStack) -> None:
    s3 = SESSION.client("s3", region_name="ap-south-1", config=PRESIGN_CONFIG)
    policy = PostPolicy(BUCKET, PREFIX + "x", "image/jpeg", 1, TEN_MIB, 300, {})
    post = S3PostPresigner(s3).presign_post(policy)
    assert post.url == f"https://{BUCKET}.s3.ap-south-1.amazonaws.com/"
    assert post.fields["x-amz-credential"].split("/")[2] == "ap-south-1"
