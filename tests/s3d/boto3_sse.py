#!/usr/bin/env python3
"""Server-side encryption against natss3d: every form (SSE-S3, SSE-KMS, SSE-C, on PutObject,
CopyObject, CreateMultipartUpload, UploadPart, GET/HEAD and a POST policy upload, and aws-cli v2's
`s3 cp --sse`) answers 501 NotImplemented and stores nothing: natss3 would keep the data in the
clear, and an SSE-C object would be served to anyone without its key.
Usage: boto3_sse.py ENDPOINT (credentials from AWS_*). Prints "sse OK"."""
import os
import subprocess
import sys
import tempfile
import urllib.request
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint = sys.argv[1]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
bucket = "sse-refused"
KEY32 = b"0123456789abcdef0123456789abcdef"


def expect_501(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except ClientError as e:
        err = e.response["Error"]
        # A HEAD answer has no body: botocore names the error by its status.
        assert err["Code"] in ("NotImplemented", "501"), err
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 501, e.response
        return
    raise AssertionError(f"expected NotImplemented, {fn.__name__} succeeded")


def absent(key):
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as e:
        assert e.response["Error"]["Code"] == "404", e.response
        return
    raise AssertionError(f"{key} was stored")


s3.create_bucket(Bucket=bucket)
s3.put_object(Bucket=bucket, Key="plain", Body=b"plain")
expect_501(s3.put_object, Bucket=bucket, Key="s3", Body=b"x", ServerSideEncryption="AES256")
expect_501(s3.put_object, Bucket=bucket, Key="kms", Body=b"x", ServerSideEncryption="aws:kms",
           SSEKMSKeyId="alias/k")
expect_501(s3.put_object, Bucket=bucket, Key="ssec", Body=b"secret", SSECustomerAlgorithm="AES256",
           SSECustomerKey=KEY32)
for key in ("s3", "kms", "ssec"):
    absent(key)
# Reads with an SSE-C key: refused rather than served as if the key applied.
expect_501(s3.get_object, Bucket=bucket, Key="plain", SSECustomerAlgorithm="AES256",
           SSECustomerKey=KEY32)
expect_501(s3.head_object, Bucket=bucket, Key="plain", SSECustomerAlgorithm="AES256",
           SSECustomerKey=KEY32)
# Copies: destination encryption and an SSE-C source key.
expect_501(s3.copy_object, Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "plain"},
           ServerSideEncryption="AES256")
expect_501(s3.copy_object, Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "plain"},
           CopySourceSSECustomerAlgorithm="AES256", CopySourceSSECustomerKey=KEY32)
absent("copy")
# Multipart: the upload is never created, and a part with an SSE-C key is refused.
expect_501(s3.create_multipart_upload, Bucket=bucket, Key="mp", SSECustomerAlgorithm="AES256",
           SSECustomerKey=KEY32)
assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads"), "upload created"
uid = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
expect_501(s3.upload_part, Bucket=bucket, Key="mp", UploadId=uid, PartNumber=1, Body=b"p",
           SSECustomerAlgorithm="AES256", SSECustomerKey=KEY32)
assert not s3.list_parts(Bucket=bucket, Key="mp", UploadId=uid).get("Parts"), "part stored"
s3.abort_multipart_upload(Bucket=bucket, Key="mp", UploadId=uid)
# A browser POST whose policy asks for encryption.
post = s3.generate_presigned_post(bucket, "post", Fields={"x-amz-server-side-encryption": "AES256"},
                                  Conditions=[{"x-amz-server-side-encryption": "AES256"}])
boundary = uuid.uuid4().hex
body = b""
for name, value in post["fields"].items():
    body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
             f"{value}\r\n").encode()
body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n"
         f"Content-Type: application/octet-stream\r\n\r\n").encode() + b"posted\r\n"
body += f"--{boundary}--\r\n".encode()
req = urllib.request.Request(post["url"], data=body, method="POST",
                             headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
try:
    urllib.request.urlopen(req)
    raise AssertionError("POST with x-amz-server-side-encryption succeeded")
except urllib.error.HTTPError as e:
    answer = e.read()
    assert e.code == 501 and b"<Code>NotImplemented</Code>" in answer, (e.code, answer)
absent("post")
# aws-cli v2 (Debian's /usr/bin/aws): `s3 cp --sse` fails and names the error.
if os.path.exists("/usr/bin/aws"):
    with tempfile.NamedTemporaryFile() as f:
        f.write(b"cli")
        f.flush()
        r = subprocess.run(["/usr/bin/aws", "--endpoint-url", endpoint, "s3", "cp", f.name,
                            f"s3://{bucket}/cli", "--sse", "AES256"],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode != 0 and "NotImplemented" in r.stderr, (r.returncode, r.stderr)
    absent("cli")
assert s3.get_object(Bucket=bucket, Key="plain")["Body"].read() == b"plain"
s3.delete_object(Bucket=bucket, Key="plain")
s3.delete_bucket(Bucket=bucket)
print("sse OK")
