#!/usr/bin/env python3
"""boto3 against natss3d on what conformance harnesses and SDK users rely on. Each section is
named on the command line, so the C++ test runs them one by one:
  versions   ListObjectVersions (paginator), DeleteObjects with VersionId "null", versioning
Usage: boto3_conformance.py ENDPOINT BUCKET SECTION (credentials from AWS_*). Exits non-zero
on failure and prints "<SECTION> OK" on success."""
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint, bucket, section = sys.argv[1], sys.argv[2], sys.argv[3]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  config=Config(retries={"max_attempts": 1}))


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


globals()[section]()
print(f"{section} OK")
