"""The OSS front end, driven through the real alibabacloud-oss-v2 SDK (V4 signatures, XML errors)."""

from __future__ import annotations

import base64
import hashlib
import re

import alibabacloud_oss_v2 as oss
import pytest
import requests
from alibabacloud_oss_v2 import exceptions as oss_errors

from localcloud import LocalCloud
from localcloud.products.oss import crc64_ecma
from support import ACCOUNT, REGION, assume_role, base_world, make_factory, ram_section, with_role_assumer

BUCKET = "acrguard-state"
OTHER_ACCOUNT = "9999888877776666"
OTHER_KEY, OTHER_SECRET = "LTAI5tOtherAccountKey01", "other-secret-0001"


@pytest.fixture
def world():
    """The base world plus a bucket with a seeded object, a second account owning its own bucket, and a role
    that may read the bucket (assumed by a RAM user: the root cannot call AssumeRole)."""
    data = base_world()
    ram = ram_section(data)
    ram["policies"].append({"name": "state-reader", "document": {"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": "oss:GetObject", "Resource": f"acs:oss:*:*:{BUCKET}/*"}]}})
    ram["roles"][0]["policies"] = [{"name": "state-reader", "type": "Custom"}]
    with_role_assumer(data)
    data["accounts"][OTHER_ACCOUNT] = {"access_keys": [{"id": OTHER_KEY, "secret": OTHER_SECRET}]}
    data["oss"] = {"buckets": [
        {"name": BUCKET, "account": ACCOUNT, "region": REGION, "objects": {"seeded.txt": "hello"}},
        {"name": "other-bucket", "account": OTHER_ACCOUNT},
    ]}
    return data


@pytest.fixture
def client(factory):
    """The factory's OSS client, pointed at the local OSS front end."""
    return factory.oss()


def _service_error(excinfo) -> oss_errors.ServiceError:
    error = excinfo.value
    while isinstance(error, oss_errors.OperationError):
        error = error.unwrap()
    assert isinstance(error, oss_errors.ServiceError), error
    return error


def _put(client, key, body, **extra):
    return client.put_object(oss.PutObjectRequest(bucket=BUCKET, key=key, body=body, **extra))


def _get(client, key, **extra):
    return client.get_object(oss.GetObjectRequest(bucket=BUCKET, key=key, **extra))


def test_put_then_get_returns_the_body_with_an_uppercase_md5_etag(cloud, client):
    """PutObject answers the quoted upper-case MD5 as ETag; GetObject and HeadObject return the same.

    Source: the OSS PutObject reference (ETag).
    """
    body = b'{"state": 1}'
    put = _put(client, "dir/state.json", body)
    expected = '"' + hashlib.md5(body).hexdigest().upper() + '"'
    assert put.etag == expected
    assert put.hash_crc64 == str(crc64_ecma(body))
    got = _get(client, "dir/state.json")
    assert got.body.read() == body and got.etag == expected
    head = client.head_object(oss.HeadObjectRequest(bucket=BUCKET, key="dir/state.json"))
    assert head.etag == expected and head.content_length == len(body)
    recorded = cloud.requests.filter(product="oss")
    assert [r.action for r in recorded] == ["PutObject", "GetObject", "HeadObject"]
    assert recorded[0].params == {"Bucket": BUCKET, "Key": "dir/state.json", "Size": str(len(body))}
    assert recorded[0].account_id == ACCOUNT and recorded[0].region == REGION


def test_crc64_is_the_value_the_sdk_computes():
    """The emulator's CRC-64 equals the SDK's own CRC-64 (the check value of CRC-64/XZ too).

    Source: alibabacloud_oss_v2 (its CRC-64 check of x-oss-hash-crc64ecma).
    """
    from alibabacloud_oss_v2.crc import Crc64

    sdk = Crc64(0)
    sdk.update(b"123456789")
    assert crc64_ecma(b"123456789") == sdk.sum64() == 0x995DC9BBDF1939FA


def test_objects_seeded_from_the_world_are_readable(client):
    """An object declared under oss.buckets[].objects can be read."""
    assert _get(client, "seeded.txt").body.read() == b"hello"


def test_forbid_overwrite_refuses_an_existing_key_with_409(client):
    """x-oss-forbid-overwrite: true creates a new key but answers 409 FileAlreadyExists for an existing one.

    Source: the OSS PutObject reference (x-oss-forbid-overwrite).
    """
    _put(client, "once.txt", b"first", forbid_overwrite=True)
    with pytest.raises(oss_errors.OperationError) as caught:
        _put(client, "once.txt", b"second", forbid_overwrite=True)
    error = _service_error(caught)
    assert (error.status_code, error.code) == (409, "FileAlreadyExists")
    assert _get(client, "once.txt").body.read() == b"first"
    _put(client, "once.txt", b"third", forbid_overwrite=False)
    assert _get(client, "once.txt").body.read() == b"third"


def test_content_md5_is_checked_when_sent(client):
    """A Content-MD5 that matches is accepted; one that does not is 400 InvalidDigest and stores nothing.

    Source: the OSS PutObject reference (InvalidDigest).
    """
    good = base64.b64encode(hashlib.md5(b"abc").digest()).decode()
    _put(client, "md5.txt", b"abc", content_md5=good)
    with pytest.raises(oss_errors.OperationError) as caught:
        _put(client, "md5.txt", b"abd", content_md5=good)
    error = _service_error(caught)
    assert (error.status_code, error.code) == (400, "InvalidDigest")
    assert _get(client, "md5.txt").body.read() == b"abc"


def test_missing_key_is_404_nosuchkey_with_the_oss_error_body(client):
    """GetObject of a missing key answers the XML error: Code, Message, RequestId, HostId and Key.

    Source: the OSS common error response.
    """
    with pytest.raises(oss_errors.OperationError) as caught:
        _get(client, "absent.json")
    error = _service_error(caught)
    assert (error.status_code, error.code) == (404, "NoSuchKey")
    assert error.error_fileds["Key"] == "absent.json"
    assert error.error_fileds["Message"] == "The specified key does not exist."
    assert len(error.request_id) == 24 and error.error_fileds["HostId"].startswith(BUCKET + ".")


def test_head_of_a_missing_key_carries_the_error_in_x_oss_err(client):
    """HEAD has no body, so the SDK reads the error from x-oss-err and still sees NoSuchKey.

    Source: alibabacloud_oss_v2 (reads x-oss-err).
    """
    with pytest.raises(oss_errors.OperationError) as caught:
        client.head_object(oss.HeadObjectRequest(bucket=BUCKET, key="absent.json"))
    error = _service_error(caught)
    assert (error.status_code, error.code) == (404, "NoSuchKey")
    assert error.error_fileds["Key"] == "absent.json"


def test_missing_bucket_is_404_nosuchbucket(client):
    """A bucket nobody declared answers NoSuchBucket naming it.

    Source: the OSS common error codes.
    """
    with pytest.raises(oss_errors.OperationError) as caught:
        client.get_object(oss.GetObjectRequest(bucket="no-such-bucket", key="x"))
    error = _service_error(caught)
    assert (error.status_code, error.code) == (404, "NoSuchBucket")
    assert error.error_fileds["BucketName"] == "no-such-bucket"


def test_if_match_and_if_none_match_on_get_and_head(client):
    """If-Match that fails is 412 PreconditionFailed; If-None-Match that matches is 304.

    Source: the OSS GetObject and HeadObject references.
    """
    etag = _put(client, "cond.txt", b"v1").etag
    assert _get(client, "cond.txt", if_match=etag).body.read() == b"v1"
    with pytest.raises(oss_errors.OperationError) as caught:
        _get(client, "cond.txt", if_match='"0123456789ABCDEF0123456789ABCDEF"')
    assert (_service_error(caught).status_code, _service_error(caught).code) == (412, "PreconditionFailed")
    with pytest.raises(oss_errors.OperationError) as caught:
        client.head_object(oss.HeadObjectRequest(bucket=BUCKET, key="cond.txt", if_match='"00"'))
    assert _service_error(caught).code == "PreconditionFailed"
    with pytest.raises(oss_errors.OperationError) as caught:
        _get(client, "cond.txt", if_none_match=etag)
    assert _service_error(caught).status_code == 304
    assert _get(client, "cond.txt", if_none_match='"00"').body.read() == b"v1"


def test_delete_removes_the_object_and_is_204_even_when_absent(client):
    """DeleteObject answers 204; the object is gone; deleting again is still 204.

    Source: the OSS DeleteObject reference.
    """
    _put(client, "gone.txt", b"x")
    assert client.delete_object(oss.DeleteObjectRequest(bucket=BUCKET, key="gone.txt")).status_code == 204
    with pytest.raises(oss_errors.OperationError):
        _get(client, "gone.txt")
    assert client.delete_object(oss.DeleteObjectRequest(bucket=BUCKET, key="gone.txt")).status_code == 204


def test_wrong_secret_is_signature_does_not_match(cloud):
    """A request signed with the wrong secret is 403 SignatureDoesNotMatch, with the server's string to sign.

    Source: the OSS V4 signature reference; alibabacloud_oss_v2/signer/v4.py.
    """
    bad = make_factory(cloud, secret="not-the-secret").oss()
    with pytest.raises(oss_errors.OperationError) as caught:
        _get(bad, "seeded.txt")
    error = _service_error(caught)
    assert (error.status_code, error.code) == (403, "SignatureDoesNotMatch")
    assert error.error_fileds["StringToSign"].startswith("OSS4-HMAC-SHA256\n")
    assert f"/{REGION}/oss/aliyun_v4_request" in error.error_fileds["StringToSign"]


def test_unknown_access_key_is_invalid_access_key_id(cloud):
    """An AccessKey the cloud does not know is 403 InvalidAccessKeyId.

    Source: the OSS common error codes.
    """
    bad = make_factory(cloud, key_id="LTAI5tNobodyHasThisKey").oss()
    with pytest.raises(oss_errors.OperationError) as caught:
        _get(bad, "seeded.txt")
    error = _service_error(caught)
    assert (error.status_code, error.code) == (403, "InvalidAccessKeyId")
    assert error.error_fileds["OSSAccessKeyId"] == "LTAI5tNobodyHasThisKey"


def test_unsigned_request_is_access_denied(cloud):
    """A request without Authorization is refused: every bucket is private.

    Source: the OSS common error codes; every bucket private: emulator's choice.
    """
    response = requests.get(f"http://{cloud.endpoints()['oss']}/{BUCKET}/seeded.txt", timeout=5)
    assert response.status_code == 403
    assert "<Code>AccessDenied</Code>" in response.text
    assert response.headers["Content-Type"] == "application/xml"


def test_sts_credentials_work_until_they_expire(cloud):
    """Temporary credentials sign OSS requests until the cloud's clock passes their expiry.

    Source: the OSS common error codes (SecurityTokenExpired).
    """
    creds = assume_role(cloud, "acrguard-keeper", session="oss-test", duration=900)
    temp = make_factory(cloud, creds.access_key_id, creds.access_key_secret, creds.security_token).oss()
    assert _get(temp, "seeded.txt").body.read() == b"hello"
    cloud.advance(901)
    with pytest.raises(oss_errors.OperationError) as caught:
        _get(temp, "seeded.txt")
    assert (_service_error(caught).status_code, _service_error(caught).code) == (403, "SecurityTokenExpired")


def test_another_accounts_bucket_is_access_denied(cloud):
    """A valid key of another account cannot read the bucket.

    Source: https://www.alibabacloud.com/help/en/oss/support/0003-00000202.
    """
    other = make_factory(cloud, key_id=OTHER_KEY, secret=OTHER_SECRET).oss()
    with pytest.raises(oss_errors.OperationError) as caught:
        _get(other, "seeded.txt")
    assert (_service_error(caught).status_code, _service_error(caught).code) == (403, "AccessDenied")


def test_signing_for_another_region_is_refused(factory):
    """A request signed for a region other than the bucket's is rejected.

    Source: the 0002-00000228 page names the case; the code: emulator's choice.
    """
    with pytest.raises(oss_errors.OperationError) as caught:
        _get(factory.oss(region="cn-shanghai"), "seeded.txt")
    assert (_service_error(caught).status_code, _service_error(caught).code) == (400, "InvalidArgument")


def test_injected_fault_is_answered_as_oss_error_and_recorded(cloud, client):
    """A 503 rule on PutObject fires once; the SDK retries and succeeds; the log marks the fault."""
    rule = cloud.inject(product="oss", action="PutObject", code="ServiceUnavailable", status=503, times=1)
    _put(client, "retried.txt", b"x")
    attempts = cloud.requests.filter(product="oss", action="PutObject")
    assert [(a.status, a.error_code, a.fault) for a in attempts] == [(503, "ServiceUnavailable", True),
                                                                      (200, None, False)]
    assert rule.fired == 1


def test_persistent_fault_surfaces_as_the_injected_error(cloud, client):
    """A 503 on every attempt reaches the caller with the injected code."""
    cloud.inject(product="oss", action="GetObject", code="ServiceUnavailable", status=503)
    with pytest.raises(oss_errors.OperationError) as caught:
        _get(client, "seeded.txt")
    assert (_service_error(caught).status_code, _service_error(caught).code) == (503, "ServiceUnavailable")
    assert cloud.requests.count(product="oss", action="GetObject") == 3  # FAST_RETRY.max_attempts


def test_unsupported_operations_are_not_implemented(client):
    """Operations the local cloud does not serve answer 501 NotImplemented, not a crash.

    Source: emulator's choice (501).
    """
    with pytest.raises(oss_errors.OperationError) as caught:
        client.list_objects(oss.ListObjectsRequest(bucket=BUCKET))  # the V1 listing
    assert (_service_error(caught).status_code, _service_error(caught).code) == (501, "NotImplemented")


def test_world_reload_restores_the_seeded_buckets(cloud, client):
    """Reloading the world forgets written objects and brings back the seeded ones."""
    _put(client, "seeded.txt", b"changed")
    cloud.load_world(cloud.world)
    assert _get(client, "seeded.txt").body.read() == b"hello"


@pytest.mark.parametrize(("bucket", "expected"), [
    ({"name": "Bad_Name", "account": ACCOUNT}, "oss.buckets[0].name"),
    ({"name": "fine-name", "account": "404"}, "oss.buckets[0].account"),
    ({"name": "fine-name", "account": ACCOUNT, "acl": "public"}, "unknown keys"),
])
def test_bad_oss_world_section_names_the_path(bucket, expected):
    """A bad bucket declaration fails when the world is loaded, with the path of the problem.

    Source: the OSS bucket naming rules.
    """
    data = base_world()
    data["oss"] = {"buckets": [bucket]}
    with pytest.raises(ValueError, match=re.escape(expected)):
        LocalCloud(data)


def _list(client, **params):
    return client.list_objects_v2(oss.ListObjectsV2Request(bucket=BUCKET, **params))


def test_list_objects_v2_lists_a_prefix_in_order_in_pages(cloud, client):
    """Keys under a prefix in byte order, ``max-keys`` per page, the next page from ``NextContinuationToken``.

    Source: https://www.alibabacloud.com/help/en/oss/developer-reference/listobjectsv2 (list-type=2, prefix,
    max-keys, continuation-token, IsTruncated, NextContinuationToken, KeyCount).
    """
    for key in ("s/b", "s/a", "s/c d", "s/ü", "t/x"):
        _put(client, key, key.encode())
    first = _list(client, prefix="s/", max_keys=2)
    assert [o.key for o in first.contents] == ["s/a", "s/b"] and first.is_truncated and first.key_count == 2
    second = _list(client, prefix="s/", max_keys=2, continuation_token=first.next_continuation_token)
    assert [o.key for o in second.contents] == ["s/c d", "s/ü"] and not second.is_truncated
    etag = '"' + hashlib.md5(b"s/c d").hexdigest().upper() + '"'
    assert second.contents[0].size == 5 and second.contents[0].etag == etag
    assert [o.key for o in _list(client, prefix="s/", start_after="s/b").contents] == ["s/c d", "s/ü"]
    assert cloud.requests.filter(product="oss", action="ListObjectsV2")[0].params["Prefix"] == "s/"


def test_list_objects_v2_rolls_keys_up_to_a_delimiter(client):
    """With ``delimiter`` the keys below the next delimiter are one ``CommonPrefixes`` entry.

    Source: the ListObjectsV2 page (delimiter, CommonPrefixes).
    """
    for key in ("a/1", "a/b/2", "a/b/3", "a/c/4"):
        _put(client, key, b"x")
    result = _list(client, prefix="a/", delimiter="/")
    assert [o.key for o in result.contents] == ["a/1"]
    assert [p.prefix for p in result.common_prefixes] == ["a/b/", "a/c/"]


def test_list_objects_v2_refuses_a_max_keys_out_of_range(client):
    """``max-keys`` takes 1 to 1000 (the page); anything else is 400 InvalidArgument (the emulator's choice of code)."""
    with pytest.raises(oss_errors.OperationError) as caught:
        _list(client, max_keys=1001)
    assert (_service_error(caught).status_code, _service_error(caught).code) == (400, "InvalidArgument")


def test_list_objects_v2_needs_oss_list_objects_on_the_bucket(cloud):
    """A role that may only read objects cannot list the bucket: 403 AccessDenied (oss:ListObjects on the bucket).

    Source: the ListObjectsV2 page ("you must have the oss:ListObjects permission").
    """
    creds = assume_role(cloud, "acrguard-keeper", session="oss-list", duration=900)
    temp = make_factory(cloud, creds.access_key_id, creds.access_key_secret, creds.security_token).oss()
    with pytest.raises(oss_errors.OperationError) as caught:
        _list(temp, prefix="s/")
    assert (_service_error(caught).status_code, _service_error(caught).code) == (403, "AccessDenied")


def test_put_object_ignores_if_match(client):
    """PutObject has no conditional form in the API page or the SDK: an If-Match header is ignored, not honoured.

    Source: the PutObject API page's request headers and ``PutObjectRequest`` in alibabacloud_oss_v2 (no If-Match);
    what the service does with one is undocumented, so this is the emulator's choice (acrguard relies on neither).
    """
    _put(client, "c.json", b"1")
    _put(client, "c.json", b"2", headers={"If-Match": '"00000000000000000000000000000000"'})
    assert _get(client, "c.json").body.read() == b"2"
