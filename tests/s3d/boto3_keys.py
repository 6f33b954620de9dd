#!/usr/bin/env python3
"""Keys with unusual characters through S3: control characters and leading/trailing CR or LF
round-trip through PUT, GET, HEAD, listings and delete; a listing without
encoding-type=url stays parseable (it is sent URL-encoded, saying so); NUL is refused.
Usage: boto3_keys.py ENDPOINT (credentials from AWS_* environment). Exits non-zero on failure."""
import os
import sys
import urllib.parse

from botocore.exceptions import ClientError
from botocore.handlers import set_list_objects_encoding_type_url

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from s3_clients import client  # noqa: E402

endpoint = sys.argv[1]
s3 = client(endpoint, retries={"max_attempts": 1})
bucket = "odd-keys-%d" % (int.from_bytes(os.urandom(3), "big"))
s3.create_bucket(Bucket=bucket)
keys = ["a\x01b", "\nlead", "trail\r", "mid\r\ndle", "tab\tx", "\x7fdel", "dir/\x1bsub/x",
        "caf\u00e9 \u65e5\u672c"]
for i, key in enumerate(keys):
    body = ("body %d" % i).encode()
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body, repr(key)
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(body), repr(key)
    s3.put_object(Bucket=bucket, Key=key + ".copy", Body=body)

listed = []
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 3}):
    listed += [o["Key"] for o in page.get("Contents", [])]
expected = sorted([k for k in keys] + [k + ".copy" for k in keys], key=lambda k: k.encode())
assert listed == expected, (listed, expected)

# Without encoding-type=url (botocore adds it; take that away): the page must still parse.
raw = client(endpoint)
raw.meta.events.unregister("before-parameter-build.s3.ListObjectsV2",
                           set_list_objects_encoding_type_url)
page = raw.list_objects_v2(Bucket=bucket)
assert page.get("EncodingType") == "url", page.get("EncodingType")
assert sorted(urllib.parse.unquote(o["Key"]) for o in page["Contents"]) == sorted(expected)
plain = raw.list_objects_v2(Bucket=bucket, Prefix="caf")  # nothing unusual: plain keys
assert "EncodingType" not in plain and plain["Contents"][0]["Key"] == keys[-1], plain

for key in expected:
    s3.delete_object(Bucket=bucket, Key=key)
assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
try:
    s3.put_object(Bucket=bucket, Key="nul\x00x", Body=b"x")
    raise AssertionError("a key with NUL was accepted")
except ClientError as e:
    assert e.response["Error"]["Code"] == "InvalidArgument", e.response["Error"]

print("keys OK")
