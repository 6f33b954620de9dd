#!/usr/bin/env python3
"""Storage classes against natss3d: x-amz-storage-class validated (InvalidStorageClass) and kept
on PutObject, CopyObject (also onto itself, as rclone's SetTier does) and multipart uploads;
shown by HEAD, GET, ListObjects(V2), ListParts and ListMultipartUploads (STANDARD omitted on
HEAD/GET as S3 does).
Usage: boto3_storage_class.py ENDPOINT (credentials from AWS_*). Prints "storage class OK"."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from s3_clients import client, expect_error  # noqa: E402

endpoint = sys.argv[1]
s3 = client(endpoint, signature_version="s3v4", path_style=True)
bucket = "storage-class"


s3.create_bucket(Bucket=bucket)
expect_error("InvalidStorageClass", s3.put_object, Bucket=bucket, Key="bad", Body=b"x",
             StorageClass="NOT_A_CLASS")
expect_error("404", s3.head_object, Bucket=bucket, Key="bad")
s3.put_object(Bucket=bucket, Key="sc/ia", Body=b"x", StorageClass="STANDARD_IA")
s3.put_object(Bucket=bucket, Key="sc/std", Body=b"x", StorageClass="STANDARD")
s3.put_object(Bucket=bucket, Key="sc/none", Body=b"x")
head = s3.head_object(Bucket=bucket, Key="sc/ia")
assert head["StorageClass"] == "STANDARD_IA", head
assert "StorageClass" not in s3.head_object(Bucket=bucket, Key="sc/std")
assert s3.get_object(Bucket=bucket, Key="sc/ia")["StorageClass"] == "STANDARD_IA"
listed = {o["Key"]: o["StorageClass"] for o in s3.list_objects_v2(Bucket=bucket,
                                                                   Prefix="sc/")["Contents"]}
assert listed == {"sc/ia": "STANDARD_IA", "sc/std": "STANDARD", "sc/none": "STANDARD"}, listed
listed = {o["Key"]: o["StorageClass"] for o in s3.list_objects(Bucket=bucket,
                                                                Prefix="sc/")["Contents"]}
assert listed["sc/ia"] == "STANDARD_IA", listed
# Copy: the destination's class is the request's, STANDARD without one.
s3.copy_object(Bucket=bucket, Key="sc/copy", CopySource={"Bucket": bucket, "Key": "sc/ia"})
assert "StorageClass" not in s3.head_object(Bucket=bucket, Key="sc/copy")
s3.copy_object(Bucket=bucket, Key="sc/copy", CopySource={"Bucket": bucket, "Key": "sc/ia"},
               StorageClass="GLACIER_IR")
assert s3.head_object(Bucket=bucket, Key="sc/copy")["StorageClass"] == "GLACIER_IR"
expect_error("InvalidStorageClass", s3.copy_object, Bucket=bucket, Key="sc/copy2",
             CopySource={"Bucket": bucket, "Key": "sc/ia"}, StorageClass="COLD")
# In-place change of class (rclone's SetTier): a copy onto itself with only a storage class.
s3.copy_object(Bucket=bucket, Key="sc/none", CopySource={"Bucket": bucket, "Key": "sc/none"},
               StorageClass="ONEZONE_IA")
assert s3.head_object(Bucket=bucket, Key="sc/none")["StorageClass"] == "ONEZONE_IA"
assert s3.get_object(Bucket=bucket, Key="sc/none")["Body"].read() == b"x"
# Multipart: the class of CreateMultipartUpload shows in both listings and on the object.
expect_error("InvalidStorageClass", s3.create_multipart_upload, Bucket=bucket, Key="sc/mp",
             StorageClass="FAST")
mpu = s3.create_multipart_upload(Bucket=bucket, Key="sc/mp", StorageClass="INTELLIGENT_TIERING")
uid = mpu["UploadId"]
e1 = s3.upload_part(Bucket=bucket, Key="sc/mp", UploadId=uid, PartNumber=1, Body=b"part")["ETag"]
parts = s3.list_parts(Bucket=bucket, Key="sc/mp", UploadId=uid)
assert parts["StorageClass"] == "INTELLIGENT_TIERING", parts
uploads = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
assert [u["StorageClass"] for u in uploads] == ["INTELLIGENT_TIERING"], uploads
s3.complete_multipart_upload(Bucket=bucket, Key="sc/mp", UploadId=uid,
                             MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}]})
assert s3.head_object(Bucket=bucket, Key="sc/mp")["StorageClass"] == "INTELLIGENT_TIERING"
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
    for obj in page.get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=obj["Key"])
s3.delete_bucket(Bucket=bucket)
print("storage class OK")
