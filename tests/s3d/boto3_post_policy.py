#!/usr/bin/env python3
"""Browser uploads against natss3d: boto3 generate_presigned_post (SigV4 and SigV2 forms)
posted with http.client (multipart/form-data built here), conditions, content-length-range,
success_action_status/redirect, metadata and storage class.
Usage: boto3_post_policy.py ENDPOINT (credentials from AWS_*). Prints "post policy OK"."""
import hashlib
import http.client
import os
import sys
import urllib.parse
import uuid
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from s3_clients import client, expect_error  # noqa: E402

endpoint = sys.argv[1]
s3 = client(endpoint, signature_version="s3v4", path_style=True)
s3v2 = client(endpoint, signature_version="s3", path_style=True)
bucket = "post-policy"
parsed = urllib.parse.urlparse(endpoint)


def post_form(url, fields, filename, content, file_field="file", file_type=None):
    """POSTs fields then the file as multipart/form-data; returns (status, headers, body)."""
    boundary = "----natss3" + uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                     .encode() + value.encode() + b"\r\n")
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; ' \
           f'filename="{filename}"\r\n'
    if file_type:
        head += f"Content-Type: {file_type}\r\n"
    parts.append(head.encode() + b"\r\n" + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    body = b"".join(parts)
    target = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
    conn.request("POST", target.path or "/", body=body,
                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    resp = conn.getresponse()
    data = resp.read()
    headers = {k.lower(): v for k, v in resp.getheaders()}
    conn.close()
    return resp.status, headers, data


s3.create_bucket(Bucket=bucket)

# SigV4 form (boto3's default): ${filename}, metadata, content type, storage class, 201.
content = os.urandom(100_000)
post = s3.generate_presigned_post(
    bucket, "uploads/${filename}",
    Fields={"Content-Type": "image/png", "x-amz-meta-owner": "alice",
            "success_action_status": "201", "x-amz-storage-class": "STANDARD_IA"},
    Conditions=[["starts-with", "$key", "uploads/"], {"Content-Type": "image/png"},
                {"x-amz-meta-owner": "alice"}, {"success_action_status": "201"},
                {"x-amz-storage-class": "STANDARD_IA"},
                ["content-length-range", 1, 1_000_000]],
    ExpiresIn=600)
assert "x-amz-signature" in post["fields"], post
status, headers, body = post_form(post["url"], post["fields"], "photo.png", content)
assert status == 201, (status, body)
etag = '"%s"' % hashlib.md5(content).hexdigest()
response = ET.fromstring(body)
assert response.tag == "PostResponse", body
assert response.findtext("Key") == "uploads/photo.png", body
assert response.findtext("Bucket") == bucket, body
assert response.findtext("ETag") == etag and headers["etag"] == etag, (body, headers)
got = s3.get_object(Bucket=bucket, Key="uploads/photo.png")
assert got["Body"].read() == content
assert got["ContentType"] == "image/png", got["ContentType"]
assert got["Metadata"] == {"owner": "alice"}, got["Metadata"]
assert got["StorageClass"] == "STANDARD_IA", got.get("StorageClass")

# SigV2 form (AWSAccessKeyId + signature), default 204, key without ${filename}.
post = s3v2.generate_presigned_post(bucket, "v2/fixed.bin", ExpiresIn=600)
assert "AWSAccessKeyId" in post["fields"] and "signature" in post["fields"], post
status, headers, body = post_form(post["url"], post["fields"], "ignored.bin", b"v2 body")
assert status == 204, (status, body)
assert s3.get_object(Bucket=bucket, Key="v2/fixed.bin")["Body"].read() == b"v2 body"

# success_action_status 200 and success_action_redirect (303 with bucket, key, etag).
post = s3.generate_presigned_post(bucket, "s200", Fields={"success_action_status": "200"},
                                  Conditions=[{"success_action_status": "200"}])
status, _, body = post_form(post["url"], post["fields"], "f", b"x")
assert status == 200 and body == b"", (status, body)
redirect = "http://example.com/done?from=natss3"
post = s3.generate_presigned_post(bucket, "redir", Fields={"success_action_redirect": redirect},
                                  Conditions=[{"success_action_redirect": redirect}])
status, headers, _ = post_form(post["url"], post["fields"], "f", b"redirected")
assert status == 303, status
location = urllib.parse.urlparse(headers["location"])
query = urllib.parse.parse_qs(location.query)
assert location.netloc == "example.com" and query["from"] == ["natss3"], headers
assert query["bucket"] == [bucket] and query["key"] == ["redir"], query
assert query["etag"] == ['"%s"' % hashlib.md5(b"redirected").hexdigest()], query

# Policy violations: AccessDenied, nothing stored.
post = s3.generate_presigned_post(bucket, "uploads/${filename}",
                                  Conditions=[["starts-with", "$key", "uploads/"],
                                              ["content-length-range", 10, 100]])
fields = dict(post["fields"])
status, _, body = post_form(post["url"], fields, "big", os.urandom(101))
assert status == 400 and b"EntityTooLarge" in body, (status, body)
status, _, body = post_form(post["url"], fields, "small", b"123456789")
assert status == 400 and b"EntityTooSmall" in body, (status, body)
fields["key"] = "elsewhere/x"
status, _, body = post_form(post["url"], fields, "x", b"0123456789")
assert status == 403 and b"AccessDenied" in body and b"Invalid according to Policy" in body, body
fields = dict(post["fields"])
fields["x-amz-meta-extra"] = "not in the policy"
status, _, body = post_form(post["url"], fields, "x", b"0123456789")
assert status == 403 and b"Extra input fields" in body, body
fields = dict(post["fields"])
fields["x-amz-signature"] = "0" * 64
status, _, body = post_form(post["url"], fields, "x", b"0123456789")
assert status == 403 and b"SignatureDoesNotMatch" in body, body
expired = s3.generate_presigned_post(bucket, "late", ExpiresIn=-10)
status, _, body = post_form(expired["url"], expired["fields"], "x", b"late")
assert status == 403 and b"Policy expired" in body, body
# No signature at all: anonymous, refused (anonymous access is off).
status, _, body = post_form(post["url"], {"key": "anon"}, "x", b"anon")
assert status == 403 and b"AccessDenied" in body, body
for key in ("uploads/big", "uploads/small", "elsewhere/x", "uploads/x", "late", "anon"):
    expect_error("404", s3.head_object, Bucket=bucket, Key=key)

# POST with an unknown class.
post = s3.generate_presigned_post(bucket, "sc/post", Fields={"x-amz-storage-class": "TAPE"},
                                  Conditions=[{"x-amz-storage-class": "TAPE"}])
status, _, body = post_form(post["url"], post["fields"], "x", b"x")
assert status == 400 and b"InvalidStorageClass" in body, (status, body)

for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
    for obj in page.get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=obj["Key"])
s3.delete_bucket(Bucket=bucket)
print("post policy OK")
