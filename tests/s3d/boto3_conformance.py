#!/usr/bin/env python3
"""boto3 against natss3d on what conformance harnesses and SDK users rely on. Each section is
named on the command line, so the C++ test runs them one by one:
  versions   ListObjectVersions (paginator), DeleteObjects with VersionId "null", versioning
  lifecycle  DeleteBucket with in-progress uploads, CreateBucket of an owned bucket
  details    metadata bytes (UTF-8, empty, spaces), empty ContinuationToken, paging of
             ListMultipartUploads and ListParts
Usage: boto3_conformance.py ENDPOINT BUCKET SECTION (credentials from AWS_*). Exits non-zero
on failure and prints "<SECTION> OK" on success."""
import base64
import os
import sys

from botocore.exceptions import ClientError

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from s3_clients import client  # noqa: E402

endpoint, bucket, section = sys.argv[1], sys.argv[2], sys.argv[3]
s3 = client(endpoint, retries={"max_attempts": 1})


def error_code(call, **kwargs):
    try:
        call(**kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"]
    raise AssertionError(f"{call.__name__} {kwargs} succeeded")


def versions():
    s3.create_bucket(Bucket=bucket)
    keys = [f"dir{i % 3}/obj{i:02d}" for i in range(25)] + ["top"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    got = s3.get_bucket_versioning(Bucket=bucket)
    assert "Status" not in got, got
    assert error_code(s3.put_bucket_versioning, Bucket=bucket,
                      VersioningConfiguration={"Status": "Enabled"}) == "NotImplemented"
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    # How conformance harnesses empty a bucket: page through the versions, delete each one.
    listed = []
    paginator = s3.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket, PaginationConfig={"PageSize": 7}):
        for v in page.get("Versions", []):
            assert v["VersionId"] == "null" and v["IsLatest"], v
            listed.append(v["Key"])
        assert not page.get("DeleteMarkers"), page
    assert listed == sorted(keys), listed
    page = s3.list_object_versions(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["dir0/", "dir1/", "dir2/"], page
    assert [v["Key"] for v in page["Versions"]] == ["top"], page
    head = s3.head_object(Bucket=bucket, Key="top", VersionId="null")
    assert head["VersionId"] == "null", head
    body = s3.get_object(Bucket=bucket, Key="top", VersionId="null")["Body"].read()
    assert body == b"top", body
    s3.copy_object(Bucket=bucket, Key="top-copy",
                   CopySource={"Bucket": bucket, "Key": "top", "VersionId": "null"})
    assert error_code(s3.get_object, Bucket=bucket, Key="top", VersionId="nope") == "InvalidArgument"
    s3.delete_object(Bucket=bucket, Key="top-copy", VersionId="null")
    for page in paginator.paginate(Bucket=bucket):
        objects = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page.get("Versions", [])]
        if objects:
            result = s3.delete_objects(Bucket=bucket, Delete={"Objects": objects})
            assert not result.get("Errors"), result
            assert all(d["VersionId"] == "null" for d in result["Deleted"]), result
    assert not s3.list_object_versions(Bucket=bucket).get("Versions")
    s3.delete_bucket(Bucket=bucket)


def lifecycle():
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="kept", Body=b"data")
    s3.create_bucket(Bucket=bucket)  # us-east-1: 200 for an owned bucket
    assert s3.get_object(Bucket=bucket, Key="kept")["Body"].read() == b"data"
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="big", UploadId=upload, PartNumber=1, Body=b"x" * 1000)
    assert error_code(s3.delete_bucket, Bucket=bucket) == "BucketNotEmpty"
    s3.delete_object(Bucket=bucket, Key="kept")
    s3.delete_bucket(Bucket=bucket)  # aborts the upload
    assert error_code(s3.head_bucket, Bucket=bucket) in ("404", "NoSuchBucket")
    s3.create_bucket(Bucket=bucket)
    assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")
    s3.delete_bucket(Bucket=bucket)


def details():
    s3.create_bucket(Bucket=bucket)

    # boto3 refuses non-ASCII metadata; s3-tests sets the header itself (sent as UTF-8).
    def raw_meta(params, **kwargs):
        params["headers"]["x-amz-meta-utf"] = "Hello World\xe9"
    s3.meta.events.register("before-call.s3.PutObject", raw_meta)
    s3.put_object(Bucket=bucket, Key="m", Body=b"x", ContentEncoding="deflate, gzip",
                  Metadata={"empty": "", "spaced": "a, b", "word": "=?UTF-8?B?w6k=?="})
    s3.meta.events.unregister("before-call.s3.PutObject", raw_meta)
    head = s3.head_object(Bucket=bucket, Key="m")
    meta = head["Metadata"]
    assert meta.get("empty") == "", meta
    assert meta["spaced"] == "a, b", meta
    assert head["ContentEncoding"] == "deflate, gzip", head
    # S3 returns non-ASCII values as RFC 2047 words ("=?UTF-8?B?<base64>?=").
    def rfc2047(value):
        assert value.startswith("=?UTF-8?B?") and value.endswith("?="), value
        return base64.b64decode(value[10:-2]).decode("utf-8")
    assert rfc2047(meta["utf"]) == "Hello World\xe9", meta
    assert rfc2047(meta["word"]) == "\xe9", meta

    page = s3.list_objects_v2(Bucket=bucket, ContinuationToken="")
    assert [o["Key"] for o in page["Contents"]] == ["m"], page

    ids = []
    for key in ["a", "b", "c/1", "c/2", "d"]:
        ids.append(s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"])
    listed = []
    for p in s3.get_paginator("list_multipart_uploads").paginate(
            Bucket=bucket, PaginationConfig={"PageSize": 2}):
        listed += [u["UploadId"] for u in p.get("Uploads", [])]
    assert listed == ids, (listed, ids)
    grouped = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in grouped["CommonPrefixes"]] == ["c/"], grouped
    for n in range(1, 6):
        s3.upload_part(Bucket=bucket, Key="a", UploadId=ids[0], PartNumber=n, Body=b"p" * n)
    parts = []
    for p in s3.get_paginator("list_parts").paginate(
            Bucket=bucket, Key="a", UploadId=ids[0], PaginationConfig={"PageSize": 2}):
        parts += [x["PartNumber"] for x in p.get("Parts", [])]
    assert parts == [1, 2, 3, 4, 5], parts
    s3.delete_object(Bucket=bucket, Key="m")
    s3.delete_bucket(Bucket=bucket)


globals()[section]()
print(f"{section} OK")
