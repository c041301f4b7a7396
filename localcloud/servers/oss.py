"""The OSS server: an Object Storage Service endpoint for the ``alibabacloud-oss-v2`` SDK.

Served on its own 127.0.0.1 port (``cloud.endpoints()["oss"]``), path-style only
(``http://127.0.0.1:PORT/<bucket>/<key>``; the SDK switches to path style by itself for an IP
endpoint). It answers ``PutObject``, ``GetObject``, ``HeadObject``, ``DeleteObject`` and
``ListObjectsV2``; every other operation gets ``501 NotImplemented`` (the emulator's choice of code).

Buckets and objects are the state of ``localcloud.products.oss`` (its docstring has the world
format).

Behaviour and where it comes from (OSS API reference: PutObject, GetObject, HeadObject,
DeleteObject, "Common error codes", and the error-code pages ``0002-*``, ``0026-*``):

* Authentication: V4 header signatures (``OSS4-HMAC-SHA256``), verified independently from the
  published algorithm (canonical request -> string to sign -> HMAC-SHA256 with the key derived
  from ``"aliyun_v4" + secret``, date, region, ``oss``, ``aliyun_v4_request``); cross-checked
  against ``alibabacloud_oss_v2/signer/v4.py``. The query string is canonicalized as it arrives
  on the wire (encoded pairs, sorted), which is what the SDK signs. Unknown/disabled keys and
  STS tokens that are missing, mismatched or unknown -> ``403 InvalidAccessKeyId``; expired STS
  tokens -> ``403 SecurityTokenExpired``; wrong signature -> ``403 SignatureDoesNotMatch`` (with
  ``StringToSign`` and ``CanonicalRequest`` in the body); malformed ``Authorization`` -> ``400
  InvalidArgument``; ``x-oss-date`` more than 15 minutes from the machine's clock -> ``403
  RequestTimeTooSkewed`` (the SDK signs with the machine's clock, so the local cloud's movable
  clock is not used here); no ``Authorization`` -> ``403 AccessDenied`` (every bucket is private).
  V1 signatures and presigned URLs are not supported (``400 InvalidArgument``, emulator's choice).
  A signing region other than the bucket's -> ``400 InvalidArgument`` (the docs name the case,
  ``0002-00000228``, not the code: the emulator's choice). Other accounts get ``403
  AccessDenied`` (no bucket policy is emulated). Within the owning account, the root may do
  everything and every other caller is authorized against its RAM policies (``localcloud.authz``):
  ``oss:PutObject``, ``oss:GetObject`` (also for ``HeadObject``) and ``oss:DeleteObject`` on
  ``acs:oss:<bucket region>:<owner>:<bucket>/<key>``; a refusal is ``403 AccessDenied`` with ``EC``
  and ``AccessDeniedDetail`` (``localcloud.authz.refusals``).
* ``PutObject``: ETag is the quoted upper-case MD5 hex of the body; ``Content-MD5`` is checked when
  sent (``400 InvalidDigest``); ``x-oss-forbid-overwrite: true`` on an existing key -> ``409
  FileAlreadyExists``; values other than true/false -> ``400 InvalidArgument``. The response carries
  ``ETag``, ``Content-MD5`` and ``x-oss-hash-crc64ecma`` (the SDK checks the CRC-64 by default).
* ``GetObject``/``HeadObject``: ``If-Match`` that fails -> ``412 PreconditionFailed``;
  ``If-None-Match`` that matches -> ``304`` (``*`` matches any object). ETags compare as strings
  once the surrounding quotes are dropped.
* ``PutObject`` has no conditional form: the API page lists no ``If-Match`` for it and the SDK's
  ``PutObjectRequest`` has no such field (only reads take ``If-Match``), so an ``If-Match`` or
  ``If-None-Match`` header on a PUT is ignored (the emulator's choice where the sources are silent;
  acrguard builds its compare-and-swap from ``x-oss-forbid-overwrite`` alone and relies on neither).
* ``DeleteObject``: ``204`` whether or not the key existed.
* ``ListObjectsV2`` (``GET /<bucket>/?list-type=2``,
  https://www.alibabacloud.com/help/en/oss/developer-reference/listobjectsv2): authorized as
  ``oss:ListObjects`` on ``acs:oss:<region>:<owner>:<bucket>``; keys in byte order, filtered by
  ``prefix``, after ``start-after`` and after the ``continuation-token`` (a token from
  ``NextContinuationToken``: here the base64 of the last key returned, the emulator's choice of form);
  ``max-keys`` 1..1000, default 100 (anything else ``400 InvalidArgument``, the emulator's choice of
  code); ``delimiter`` rolls keys up into ``CommonPrefixes``; ``encoding-type=url`` percent-encodes
  ``Key``, ``Prefix``, ``StartAfter``, ``Delimiter`` and ``CommonPrefixes/Prefix`` (the SDK always asks
  for it and decodes them, ``serde_utils.deserialize_encode_type``); ``start-after`` of 1024 bytes or
  more -> ``400 InvalidArgument``. The body is ``ListBucketResult`` with ``Name``, ``Prefix``,
  ``MaxKeys``, ``EncodingType``, ``IsTruncated``, ``KeyCount``, ``Contents`` (``Key``,
  ``LastModified``, ``ETag``, ``Type`` Normal, ``Size``, ``StorageClass`` Standard) and, when
  truncated, ``NextContinuationToken``.
* Errors are the OSS XML body (``Code``, ``Message``, ``RequestId``, ``HostId`` and extra fields
  such as ``Key``/``BucketName``), ``Content-Type: application/xml``; answers to ``HEAD`` carry no
  body, so the XML is also sent base64-encoded in ``x-oss-err`` as OSS does (the SDK reads it).
* ``Date`` and ``Last-Modified`` come from the local cloud's clock, so ``cloud.advance`` ages objects.

Every request is recorded in ``cloud.requests`` (product ``oss``, the operation as action,
``params`` ``{"Bucket", "Key"}``, with ``"Size"``, the body's bytes, of a PutObject and ``"Prefix"``
of a list) and fault rules are applied as the OpenAPI gateway does (``cloud.faults.pick("oss",
action)``), after authentication, the bucket checks and authorization; an injected error is answered
as an OSS XML error.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import formatdate
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, quote, unquote
from xml.sax.saxutils import escape

from localcloud.authz.authorizer import authorize
from localcloud.authz.refusals import OSS_EXPLICIT, OSS_IMPLICIT, access_denied_detail
from localcloud.errors import CloudError
from localcloud.httpserver import QuietHandler
from localcloud.products.oss import Bucket, OssObject, find_bucket
from localcloud.servers.signing import authorization_fields

if TYPE_CHECKING:
    from localcloud.core.identity import Principal
    from localcloud.core.state import CloudState

ALGORITHM = "OSS4-HMAC-SHA256"
MAX_SKEW_SECONDS = 15 * 60


# -- errors ----------------------------------------------------------------------------------------

class OssError(CloudError):
    """An OSS error; ``fields`` are extra XML elements (``Key``, ``BucketName``, ...; a mapping nests)."""

    def __init__(self, code: str, message: str, status: int, **fields: str | dict[str, str]) -> None:
        super().__init__(code, message, status)
        self.fields = fields


def no_such_bucket(name: str) -> OssError:
    """404 for a bucket nobody declared."""
    return OssError("NoSuchBucket", "The specified bucket does not exist.", 404, BucketName=name)


def no_such_key(key: str) -> OssError:
    """404 for a missing object."""
    return OssError("NoSuchKey", "The specified key does not exist.", 404, Key=key)


def error_xml(err: OssError, request_id: str, host_id: str) -> bytes:
    """The XML error body OSS answers with."""
    parts = [f"<Code>{escape(err.code)}</Code>", f"<Message>{escape(err.message)}</Message>",
             f"<RequestId>{request_id}</RequestId>", f"<HostId>{escape(host_id)}</HostId>"]
    for name, value in err.fields.items():
        if isinstance(value, dict):
            inner = "".join(f"\n    <{k}>{escape(str(v))}</{k}>" for k, v in value.items())
            parts.append(f"<{name}>{inner}\n  </{name}>")
        else:
            parts.append(f"<{name}>{escape(value)}</{name}>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n  ' + "\n  ".join(parts) + "\n</Error>\n").encode()


# -- V4 signature ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class V4Authorization:
    """The parts of an ``Authorization: OSS4-HMAC-SHA256 ...`` header."""

    access_key_id: str
    date: str
    region: str
    product: str
    additional_headers: tuple[str, ...]
    signature: str

    @property
    def scope(self) -> str:
        """``<date>/<region>/<product>/aliyun_v4_request``."""
        return f"{self.date}/{self.region}/{self.product}/aliyun_v4_request"


def parse_v4_authorization(header: str) -> V4Authorization:
    """Split a V4 ``Authorization`` header or raise ``400 InvalidArgument``."""
    if not header.startswith(ALGORITHM + " "):
        raise OssError("InvalidArgument", "Authorization header is invalid: the local cloud accepts only "
                       f"{ALGORITHM} header signatures.", 400)
    fields = authorization_fields(header, ALGORITHM)
    credential = fields.get("Credential", "").split("/")
    if len(credential) != 5 or not fields.get("Signature"):
        raise OssError("InvalidArgument", "Authorization header is invalid: expected Credential="
                       "<AccessKeyId>/<date>/<region>/oss/aliyun_v4_request and Signature.", 400)
    access_key_id, date, region, product, terminator = credential
    if not re.fullmatch(r"\d{8}", date) or product != "oss" or terminator != "aliyun_v4_request" or not region:
        raise OssError("InvalidArgument", "Authorization header is invalid: the Credential scope must be "
                       "<date YYYYMMDD>/<region>/oss/aliyun_v4_request.", 400)
    additional = tuple(h for h in fields.get("AdditionalHeaders", "").split(";") if h)
    return V4Authorization(access_key_id, date, region, product, additional, fields["Signature"])


def _signed_header(name: str, additional: tuple[str, ...]) -> bool:
    return name.startswith("x-oss-") or name in ("content-type", "content-md5") or name in additional


def v4_canonical_request(method: str, path: str, raw_query: str, headers: dict[str, str],
                         additional: tuple[str, ...]) -> str:
    """Method, URI (``/bucket/key``), sorted query, signed headers, additional headers, payload hash."""
    canonical_uri = quote(unquote(path) or "/", safe="/")
    pairs = sorted(tuple(pair.partition("=")[::2]) for pair in raw_query.split("&") if pair)
    canonical_query = "&".join(f"{k}={v}" if v else k for k, v in pairs)
    canonical_headers = "".join(f"{name}:{headers[name].strip()}\n"
                                for name in sorted(headers) if _signed_header(name, additional))
    payload = headers.get("x-oss-content-sha256", "UNSIGNED-PAYLOAD")
    return f"{method}\n{canonical_uri}\n{canonical_query}\n{canonical_headers}\n{';'.join(additional)}\n{payload}"


def v4_string_to_sign(timestamp: str, scope: str, canonical_request: str) -> str:
    """``OSS4-HMAC-SHA256``, the ``x-oss-date`` time stamp, the scope, the canonical request's hash."""
    digest = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{timestamp}\n{scope}\n{digest}"


def v4_signature(secret: str, auth: V4Authorization, string_to_sign: str) -> str:
    """Hex HMAC-SHA256 with the key derived from the secret, date, region and product."""
    key = ("aliyun_v4" + secret).encode("utf-8")
    for part in (auth.date, auth.region, auth.product, "aliyun_v4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def _credential_error(err: CloudError, access_key_id: str) -> OssError:
    """The OSS answer to a credential the cloud refused (see the module docstring)."""
    if err.code == "InvalidSecurityToken.Expired":
        return OssError("SecurityTokenExpired", "The security token you provided has expired.", 403)
    message = ("The OSS Access Key Id you provided is disabled." if err.code == "InvalidAccessKeyId.Inactive"
               else "The OSS Access Key Id you provided does not exist in our records.")
    return OssError("InvalidAccessKeyId", message, 403, OSSAccessKeyId=access_key_id)


def authenticate(cloud: CloudState, method: str, path: str, raw_query: str, headers: dict[str, str],
                 body: bytes) -> tuple[Principal, V4Authorization]:
    """Verify the V4 header signature of a request; the principal and the parsed authorization."""
    header = headers.get("authorization", "")
    if not header:
        raise OssError("AccessDenied", "You have no right to access this object because of bucket acl.", 403)
    auth = parse_v4_authorization(header)
    timestamp = headers.get("x-oss-date", "")
    try:
        signed_at = datetime.strptime(timestamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        raise OssError("AccessDenied", "x-oss-date is missing or not in the format YYYYMMDDTHHMMSSZ.", 403) \
            from None
    if timestamp[:8] != auth.date:
        raise OssError("InvalidArgument", "The date in the Credential scope does not match x-oss-date.", 400)
    if abs(time.time() - signed_at) > MAX_SKEW_SECONDS:
        raise OssError("RequestTimeTooSkewed", "The difference between the request time and the current time "
                       "is too large.", 403, RequestTime=timestamp,
                       ServerTime=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z"))
    payload = headers.get("x-oss-content-sha256")
    if payload is None:
        raise OssError("InvalidArgument", "x-oss-content-sha256 is required with a V4 signature.", 400)
    if payload != "UNSIGNED-PAYLOAD" and payload != hashlib.sha256(body).hexdigest():
        raise OssError("InvalidArgument", "x-oss-content-sha256 does not match the request body.", 400)
    missing = [name for name in auth.additional_headers if name not in headers]
    if missing:
        raise OssError("InvalidArgument", f"AdditionalHeaders names headers the request lacks: {missing}.", 400)
    try:
        principal, secret = cloud.authenticate(auth.access_key_id, headers.get("x-oss-security-token"))
    except CloudError as err:
        raise _credential_error(err, auth.access_key_id) from None
    canonical = v4_canonical_request(method, path, raw_query, headers, auth.additional_headers)
    string_to_sign = v4_string_to_sign(timestamp, auth.scope, canonical)
    expected = v4_signature(secret, auth, string_to_sign)
    if not hmac.compare_digest(expected.encode(), auth.signature.encode()):
        raise OssError("SignatureDoesNotMatch", "The request signature we calculated does not match the signature "
                       "you provided. Check your key and signing method.", 403,
                       OSSAccessKeyId=auth.access_key_id, SignatureProvided=auth.signature,
                       StringToSign=string_to_sign, CanonicalRequest=canonical)
    return principal, auth


# -- operations ------------------------------------------------------------------------------------

@dataclass
class Reply:
    """A successful answer: status, headers and body."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


#: the query parameters ListObjectsV2 takes (the API page)
LIST_PARAMS = {"list-type", "prefix", "delimiter", "start-after", "continuation-token", "max-keys", "encoding-type",
               "fetch-owner"}


def operation(method: str, key: str | None, raw_query: str) -> str | None:
    """The operation a path-style request names (None: not one the local cloud serves)."""
    params = [pair.partition("=")[0] for pair in raw_query.split("&") if pair]
    if key is None and method == "GET" and "list-type=2" in raw_query.split("&") and set(params) <= LIST_PARAMS:
        return "ListObjectsV2"
    if key is None or any(not p.startswith("response-") for p in params):
        return None
    return {"PUT": "PutObject", "GET": "GetObject", "HEAD": "HeadObject", "DELETE": "DeleteObject"}.get(method)


def _http_date(moment: float) -> str:
    return formatdate(moment, usegmt=True)


def _etag_list_matches(header: str, etag: str) -> bool:
    wanted = etag.strip('"')
    for item in header.split(","):
        item = item.strip()
        if item == "*" or item.removeprefix("W/").strip('"') == wanted:
            return True
    return False


def put_object(bucket: Bucket, key: str, headers: dict[str, str], body: bytes, now: float) -> Reply:
    """Store an object (Content-MD5 check, forbid-overwrite)."""
    if not 1 <= len(key.encode("utf-8")) <= 1023 or key.startswith(("/", "\\")):
        raise OssError("InvalidObjectName", "The specified object is not valid.", 400, ObjectName=key)
    forbid = headers.get("x-oss-forbid-overwrite")
    if forbid is not None and forbid.lower() not in ("true", "false"):
        raise OssError("InvalidArgument", "x-oss-forbid-overwrite must be true or false.", 400,
                       ArgumentName="x-oss-forbid-overwrite", ArgumentValue=forbid)
    digest = hashlib.md5(body).digest()
    sent_md5 = headers.get("content-md5")
    if sent_md5 is not None:
        try:
            claimed = base64.b64decode(sent_md5, validate=True)
        except (binascii.Error, ValueError):
            claimed = b""
        if len(claimed) != 16:
            raise OssError("InvalidDigest", "The Content-MD5 you specified was invalid.", 400)
        if claimed != digest:
            raise OssError("InvalidDigest", "The Content-MD5 you specified did not match what we received.", 400)
    if forbid is not None and forbid.lower() == "true" and key in bucket.objects:
        raise OssError("FileAlreadyExists", "The object you specified already exists and can not be overwritten.",
                       409, Key=key)
    meta = {name[len("x-oss-meta-"):]: value for name, value in headers.items() if name.startswith("x-oss-meta-")}
    obj = OssObject(body, headers.get("content-type") or "application/octet-stream", now, meta)
    bucket.objects[key] = obj
    return Reply(200, {"ETag": obj.etag, "Content-MD5": base64.b64encode(digest).decode(),
                       "x-oss-hash-crc64ecma": obj.crc64})


def get_object(bucket: Bucket, key: str, headers: dict[str, str]) -> Reply:
    """Read an object, honouring If-Match / If-None-Match (``HEAD`` sends the same reply without the body)."""
    obj = bucket.objects.get(key)
    if obj is None:
        raise no_such_key(key)
    if_match = headers.get("if-match")
    if if_match is not None and not _etag_list_matches(if_match, obj.etag):
        raise OssError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold.", 412,
                       Condition="If-Match")
    described = {"ETag": obj.etag, "Last-Modified": _http_date(obj.last_modified),
                 "Content-MD5": base64.b64encode(obj.md5).decode(), "x-oss-hash-crc64ecma": obj.crc64,
                 "x-oss-object-type": "Normal", "x-oss-storage-class": "Standard", "Accept-Ranges": "bytes",
                 **{f"x-oss-meta-{name}": value for name, value in obj.metadata.items()}}
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None and _etag_list_matches(if_none_match, obj.etag):
        return Reply(304, {"ETag": obj.etag, "Last-Modified": described["Last-Modified"]})
    return Reply(200, {"Content-Type": obj.content_type, **described}, obj.data)


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def list_objects_v2(bucket: Bucket, query: dict[str, str]) -> Reply:
    """One page of the bucket's keys (see the module docstring for the parameters and the answer)."""
    prefix = query.get("prefix", "")
    delimiter = query.get("delimiter", "")
    start_after = query.get("start-after", "")
    encoding = query.get("encoding-type")
    if encoding not in (None, "url"):
        raise OssError("InvalidArgument", "encoding-type must be url.", 400, ArgumentName="encoding-type",
                       ArgumentValue=encoding)
    try:
        max_keys = int(query.get("max-keys", "100"))
    except ValueError:
        max_keys = 0
    if not 1 <= max_keys <= 1000:
        raise OssError("InvalidArgument", "max-keys must be an integer from 1 to 1000.", 400,
                       ArgumentName="max-keys", ArgumentValue=query.get("max-keys", ""))
    if len(start_after.encode("utf-8")) >= 1024:
        raise OssError("InvalidArgument", "start-after must be shorter than 1024 bytes.", 400,
                       ArgumentName="start-after")
    after = start_after
    token = query.get("continuation-token")
    if token is not None:
        try:
            after = max(after, base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8"))
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise OssError("InvalidArgument", "The continuation-token is not valid.", 400,
                           ArgumentName="continuation-token") from None
    names = sorted((k for k in bucket.objects if k.startswith(prefix) and k > after), key=lambda k: k.encode("utf-8"))

    def enc(text: str) -> str:
        return escape(quote(text, safe="/") if encoding == "url" else text)

    contents: list[str] = []
    prefixes: list[str] = []
    last = ""
    truncated = False
    for name in names:
        if len(contents) + len(prefixes) >= max_keys:
            truncated = True
            break
        if delimiter and delimiter in name[len(prefix):]:
            rolled = name[:len(prefix) + name[len(prefix):].index(delimiter) + len(delimiter)]
            if rolled not in prefixes:
                prefixes.append(rolled)
            last = name
            continue
        obj = bucket.objects[name]
        contents.append(f"<Contents><Key>{enc(name)}</Key><LastModified>{_iso(obj.last_modified)}</LastModified>"
                        f"<ETag>{escape(obj.etag)}</ETag><Type>Normal</Type><Size>{len(obj.data)}</Size>"
                        "<StorageClass>Standard</StorageClass></Contents>")
        last = name
    parts = [f"<Name>{escape(bucket.name)}</Name>", f"<Prefix>{enc(prefix)}</Prefix>", f"<MaxKeys>{max_keys}</MaxKeys>"]
    if start_after:
        parts.append(f"<StartAfter>{enc(start_after)}</StartAfter>")
    if token is not None:
        parts.append(f"<ContinuationToken>{escape(token)}</ContinuationToken>")
    if delimiter:
        parts.append(f"<Delimiter>{enc(delimiter)}</Delimiter>")
    if encoding:
        parts.append(f"<EncodingType>{encoding}</EncodingType>")
    parts.append(f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>")
    parts.append(f"<KeyCount>{len(contents) + len(prefixes)}</KeyCount>")
    if truncated:
        parts.append(f"<NextContinuationToken>{base64.urlsafe_b64encode(last.encode()).decode()}</NextContinuationToken>")
    parts += contents
    parts += [f"<CommonPrefixes><Prefix>{enc(p)}</Prefix></CommonPrefixes>" for p in prefixes]
    body = '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult>' + "".join(parts) + "</ListBucketResult>"
    return Reply(200, {"Content-Type": "application/xml"}, body.encode("utf-8"))


# -- the HTTP front end ----------------------------------------------------------------------------

def make_handler(cloud: CloudState) -> type[QuietHandler]:
    """Build the request handler class bound to ``cloud``."""

    class OssHandler(QuietHandler):
        server_version = "AliyunOSS"
        sys_version = ""

        def date_time_string(self, timestamp: float | None = None) -> str:
            """``Date`` on the local cloud's clock (objects age with ``cloud.advance``)."""
            return _http_date(cloud.clock.now() if timestamp is None else timestamp)

        def do_GET(self) -> None:
            self._handle()

        def do_HEAD(self) -> None:
            self._handle()

        def do_PUT(self) -> None:
            self._handle()

        def do_DELETE(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def _read_request_body(self) -> bytes:
            if "chunked" not in (self.headers.get("Transfer-Encoding") or "").lower():
                return self.read_body()
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()

        def _handle(self) -> None:
            request_id = secrets.token_hex(12).upper()
            raw_path, _, raw_query = self.path.partition("?")
            body = self._read_request_body()
            headers = {name.lower(): value for name, value in self.headers.items()}
            segments = raw_path.lstrip("/").split("/", 1)
            bucket_name = unquote(segments[0]) or None
            key = unquote(segments[1]) if len(segments) > 1 and segments[1] else None
            action = operation(self.command, key, raw_query) or "Unsupported"
            principal: Principal | None = None
            region: str | None = None
            fault = None
            try:
                principal, auth = authenticate(cloud, self.command, raw_path, raw_query, headers, body)
                region = auth.region
                if action == "Unsupported":
                    raise OssError("NotImplemented", "The local cloud does not implement this OSS operation: "
                                   f"{self.command} {raw_path}{'?' + raw_query if raw_query else ''}", 501)
                bucket = self._bucket(principal, region, bucket_name or "")
                self._authorize(action, principal, bucket, key or "")
                fault = cloud.faults.pick("oss", action)
                if fault is not None:
                    if fault.latency_ms:
                        time.sleep(fault.latency_ms / 1000)
                    if fault.drop:
                        self._record(action, principal, region, bucket_name, key, 0, "ConnectionDropped", True)
                        self.close_connection = True
                        return
                    if fault.code:
                        raise _Injected(fault.code, fault.message or f"Injected fault: {fault.code}.", fault.status)
                reply = self._operate(action, bucket, key or "", headers, body, raw_query)
            except OssError as err:
                self._record(action, principal, region, bucket_name, key, err.status, err.code,
                             isinstance(err, _Injected))
                self._send_error(err, request_id, bucket_name)
                return
            self._record(action, principal, region, bucket_name, key, reply.status, None, False,
                         self._extra(action, body, raw_query))
            if fault is not None and fault.lose_answer:
                self.close_connection = True  # carried out, but the answer never reaches the client
                return
            self.send_bytes(reply.status, reply.body,
                            content_type=reply.headers.pop("Content-Type", "application/octet-stream"),
                            headers={"x-oss-request-id": request_id, **reply.headers})

        def _bucket(self, principal: Principal, region: str, bucket_name: str) -> Bucket:
            with cloud.lock:
                bucket = find_bucket(cloud, bucket_name)
            if bucket is None:
                raise no_such_bucket(bucket_name)
            if bucket.account_id != principal.account_id:
                raise OssError("AccessDenied", "You have no right to access this bucket.", 403,
                               BucketName=bucket_name)
            if region != bucket.region:
                raise OssError("InvalidArgument", f"Invalid signing region in Authorization header: the "
                               f"bucket is in {bucket.region}, the request was signed for {region}.", 400)
            return bucket

        def _authorize(self, action: str, principal: Principal, bucket: Bucket, key: str) -> None:
            params = {"Bucket": bucket.name, "Key": key, "BucketRegion": bucket.region,
                      "BucketOwner": bucket.account_id}
            try:
                authorization = authorize(cloud, principal, "oss", action, bucket.region, params,
                                          source_ip=self.client_address[0])
            except CloudError as err:  # an operation without its row in localcloud.authz.actions
                raise OssError(err.code, err.message, err.status) from None
            if authorization is not None and not authorization.allowed:
                decision = authorization.decision
                ec, message = OSS_EXPLICIT if decision.explicit_deny else OSS_IMPLICIT
                detail = access_denied_detail(cloud, principal, authorization.action, decision)
                raise OssError("AccessDenied", message, 403, AccessDeniedDetail=detail, EC=ec,
                               RecommendDoc=f"https://api.aliyun.com/troubleshoot?q={ec}")

        def _operate(self, action: str, bucket: Bucket, key: str, headers: dict[str, str], body: bytes,
                     raw_query: str) -> Reply:
            with cloud.lock:
                if action == "ListObjectsV2":
                    return list_objects_v2(bucket, dict(parse_qsl(raw_query, keep_blank_values=True)))
                if action == "PutObject":
                    return put_object(bucket, key, headers, body, cloud.clock.now())
                if action == "DeleteObject":
                    bucket.objects.pop(key, None)
                    return Reply(204)
                return get_object(bucket, key, headers)

        def _send_error(self, err: OssError, request_id: str, bucket_name: str | None) -> None:
            host = self.headers.get("Host", "")
            xml = error_xml(err, request_id, f"{bucket_name}.{host}" if bucket_name else host)
            headers = {"x-oss-request-id": request_id}
            if isinstance(err.fields.get("EC"), str):
                headers["x-oss-ec"] = err.fields["EC"]
            if self.command == "HEAD":
                headers["x-oss-err"] = base64.b64encode(xml).decode()
            self.send_bytes(err.status, xml, content_type="application/xml", headers=headers)

        @staticmethod
        def _extra(action: str, body: bytes, raw_query: str) -> dict[str, str]:
            """What else the request log keeps: a PutObject's body size, a list's prefix."""
            if action == "PutObject":
                return {"Size": str(len(body))}
            if action == "ListObjectsV2":
                return {"Prefix": dict(parse_qsl(raw_query, keep_blank_values=True)).get("prefix", "")}
            return {}

        def _record(self, action: str, principal: Principal | None, region: str | None, bucket: str | None,
                    key: str | None, status: int, error: str | None, fault: bool,
                    extra: dict[str, str] | None = None) -> None:
            params = {name: value for name, value in (("Bucket", bucket), ("Key", key)) if value is not None}
            params.update(extra or {})
            cloud.requests.append(time=time.time(), product="oss", action=action, version="",
                                  account_id=principal.account_id if principal else None, region=region,
                                  access_key_id=principal.access_key_id if principal else None,
                                  params=params, status=status, error_code=error, fault=fault)

    return OssHandler


class _Injected(OssError):
    """An error produced by a fault rule rather than by an operation."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(code, message, status)

