#!/usr/bin/env python3
"""boto3 flow against natss3d: checksums (boto3 1.43 sends CRC32 by default), multipart via
upload_file, paginated listings, ranges, conditionals, copy, tagging, delete_objects, presign.
Usage: boto3_flow.py ENDPOINT (credentials from AWS_* environment). Exits non-zero on failure."""
import hashlib
import os
import sys
import urllib.request

from boto3.s3.transfer import TransferConfig

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from s3_clients import client, expect_error  # noqa: E402

endpoint = sys.argv[1]
s3 = client(endpoint)
bucket = "boto3-flow"


s3.create_bucket(Bucket=bucket)
body = os.urandom(300_000)
put = s3.put_object(Bucket=bucket, Key="a/obj", Body=body, ContentType="text/x-boto",
                    Metadata={"owner": "me"})
assert put["ETag"] == '"%s"' % hashlib.md5(body).hexdigest(), put["ETag"]
got = s3.get_object(Bucket=bucket, Key="a/obj")
assert got["Body"].read() == body
assert got["ContentType"] == "text/x-boto"
assert got["Metadata"] == {"owner": "me"}, got["Metadata"]
ranged = s3.get_object(Bucket=bucket, Key="a/obj", Range="bytes=10-19")["Body"].read()
assert ranged == body[10:20]
expect_error("InvalidRange", s3.get_object, Bucket=bucket, Key="a/obj", Range="bytes=999999-")
expect_error("PreconditionFailed", s3.get_object, Bucket=bucket, Key="a/obj", IfMatch='"nope"')
expect_error("304", s3.get_object, Bucket=bucket, Key="a/obj", IfNoneMatch=put["ETag"])
expect_error("NoSuchKey", s3.get_object, Bucket=bucket, Key="missing")

# Multipart through the transfer manager (6 parts of 5 MiB + 1 MiB).
path = os.path.join(os.environ.get("HOME", "/tmp"), "boto3-big.bin")
big = os.urandom(31 * 1024 * 1024)
with open(path, "wb") as f:
    f.write(big)
cfg = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
s3.upload_file(path, bucket, "big.bin", Config=cfg)
head = s3.head_object(Bucket=bucket, Key="big.bin")
assert head["ETag"].endswith('-7"'), head["ETag"]
s3.download_file(bucket, "big.bin", path + ".back", Config=cfg)
with open(path + ".back", "rb") as f:
    assert hashlib.sha256(f.read()).digest() == hashlib.sha256(big).digest()

# Pagination over 1100 keys, 250 per page.
for i in range(1100):
    s3.put_object(Bucket=bucket, Key=f"many/{i:05d}", Body=b"x")
keys = []
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="many/",
                                                         PaginationConfig={"PageSize": 250}):
    keys += [o["Key"] for o in page.get("Contents", [])]
assert keys == [f"many/{i:05d}" for i in range(1100)], len(keys)
v1 = []
for page in s3.get_paginator("list_objects").paginate(Bucket=bucket, Prefix="many/",
                                                      PaginationConfig={"PageSize": 400}):
    v1 += [o["Key"] for o in page.get("Contents", [])]
assert v1 == keys
top = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["a/", "many/"], top

# Copy, tagging, delete_objects, presign.
s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "a/obj"})
assert s3.get_object(Bucket=bucket, Key="copy")["Body"].read() == body
s3.put_object_tagging(Bucket=bucket, Key="copy", Tagging={"TagSet": [{"Key": "t", "Value": "1"}]})
assert s3.get_object_tagging(Bucket=bucket, Key="copy")["TagSet"] == [{"Key": "t", "Value": "1"}]
url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "copy"}, ExpiresIn=60)
assert urllib.request.urlopen(url).read() == body
res = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[:1000]]})
assert len(res["Deleted"]) == 1000
rest = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
for k in rest:
    s3.delete_object(Bucket=bucket, Key=k)
expect_error("InvalidBucketName", s3.create_bucket, Bucket="has..dots")
s3.delete_bucket(Bucket=bucket)
print("boto3 flow OK")
