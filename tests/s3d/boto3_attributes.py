#!/usr/bin/env python3
"""boto3 against natss3d: a bucket name with dots (stored as NATS bucket "<name with _>"),
get_object_attributes and PartNumber reads of a multipart object.
Usage: boto3_attributes.py ENDPOINT (credentials from AWS_* environment). Exits non-zero on failure."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from s3_clients import client, expect_error  # noqa: E402

endpoint = sys.argv[1]
s3 = client(endpoint, path_style=True)
bucket = "boto3-%d.withperiod" % os.getpid()


s3.create_bucket(Bucket=bucket)
assert bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]
s3.head_bucket(Bucket=bucket)
s3.get_bucket_location(Bucket=bucket)

MiB = 1024 * 1024
parts = [os.urandom(5 * MiB), os.urandom(5 * MiB), os.urandom(12345)]
upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")
etags = []
for n, data in enumerate(parts, 1):
    r = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload["UploadId"], PartNumber=n, Body=data)
    etags.append({"PartNumber": n, "ETag": r["ETag"]})
done = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload["UploadId"],
                                    MultipartUpload={"Parts": etags})
assert done["Bucket"] == bucket, done["Bucket"]

got = s3.get_object(Bucket=bucket, Key="mp", PartNumber=2)
assert got["Body"].read() == parts[1]
assert got["PartsCount"] == 3, got.get("PartsCount")
assert got["ContentRange"] == "bytes %d-%d/%d" % (5 * MiB, 10 * MiB - 1, 10 * MiB + 12345)
head = s3.head_object(Bucket=bucket, Key="mp", PartNumber=1)
assert head["ContentLength"] == 5 * MiB and head["PartsCount"] == 3, head
expect_error("InvalidPartNumber", s3.get_object, Bucket=bucket, Key="mp", PartNumber=4)

attrs = s3.get_object_attributes(Bucket=bucket, Key="mp",
                                 ObjectAttributes=["ETag", "ObjectParts", "ObjectSize", "StorageClass"])
assert attrs["ETag"] == done["ETag"].strip('"'), (attrs["ETag"], done["ETag"])
assert attrs["ObjectSize"] == 10 * MiB + 12345
assert attrs["StorageClass"] == "STANDARD"
op = attrs["ObjectParts"]
assert op["TotalPartsCount"] == 3, op
assert [(p["PartNumber"], p["Size"]) for p in op["Parts"]] == [(1, 5 * MiB), (2, 5 * MiB), (3, 12345)], op
page = s3.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=["ObjectParts"],
                                MaxParts=1, PartNumberMarker=1)["ObjectParts"]
assert page["IsTruncated"] and page["NextPartNumberMarker"] == 2, page
assert [p["PartNumber"] for p in page["Parts"]] == [2], page

# Copy out of and into the dotted bucket; a plain object is its own part 1.
s3.create_bucket(Bucket="boto3-attrs-plain")
s3.copy_object(Bucket="boto3-attrs-plain", Key="c", CopySource={"Bucket": bucket, "Key": "mp"})
s3.put_object(Bucket=bucket, Key="small", Body=b"small body")
s3.copy_object(Bucket=bucket, Key="small2", CopySource={"Bucket": bucket, "Key": "small"})
assert s3.get_object(Bucket=bucket, Key="small2", PartNumber=1)["Body"].read() == b"small body"
small = s3.get_object_attributes(Bucket=bucket, Key="small", ObjectAttributes=["ObjectSize", "ObjectParts"])
assert small["ObjectSize"] == 10 and "ObjectParts" not in small, small
listed = s3.list_objects_v2(Bucket=bucket)
assert listed["Name"] == bucket and listed["KeyCount"] == 3, listed

for key in ("mp", "small", "small2"):
    s3.delete_object(Bucket=bucket, Key=key)
s3.delete_object(Bucket="boto3-attrs-plain", Key="c")
s3.delete_bucket(Bucket="boto3-attrs-plain")
s3.delete_bucket(Bucket=bucket)
expect_error("InvalidBucketName", s3.create_bucket, Bucket="two..dots")
print("boto3 attributes OK")
