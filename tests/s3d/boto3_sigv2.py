#!/usr/bin/env python3
"""SigV2 against natss3d: boto3 with signature_version "s3" (header auth) doing
put/get/list/copy/delete/multipart, its presigned URLs (query auth) fetched with urllib,
expiry, tampering, clock skew and permissions.
Usage: boto3_sigv2.py ENDPOINT READONLY_KEY READONLY_SECRET DOMAIN (the read-write key from
AWS_*; DOMAIN: natss3d's --domain, for a virtual-hosted request).
Exits non-zero on failure; prints "sigv2 OK"."""
import base64
import email.utils
import hashlib
import hmac
import http.client
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from s3_clients import client, expect_error  # noqa: E402

endpoint, ro_key, ro_secret, domain = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
v2 = {"signature_version": "s3", "path_style": True}
s3 = client(endpoint, **v2)
ro = client(endpoint, access_key=ro_key, secret_key=ro_secret, **v2)
bucket = "sigv2-flow"


def fetch(url, method="GET", data=None, headers=None):
    req = urllib.request.Request(url, method=method, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


s3.create_bucket(Bucket=bucket)
body = os.urandom(200_000)
put = s3.put_object(Bucket=bucket, Key="dir/obj one+é", Body=body, ContentType="text/x-v2",
                    Metadata={"owner": "me"})
assert put["ETag"] == '"%s"' % hashlib.md5(body).hexdigest(), put
got = s3.get_object(Bucket=bucket, Key="dir/obj one+é")
assert got["Body"].read() == body
assert got["ContentType"] == "text/x-v2"
assert got["Metadata"] == {"owner": "me"}, got["Metadata"]
# response-* overrides are signed sub-resources.
got = s3.get_object(Bucket=bucket, Key="dir/obj one+é", ResponseContentType="a/b",
                    ResponseContentDisposition="attachment; filename=x")
assert got["ContentType"] == "a/b", got["ContentType"]
head = s3.head_object(Bucket=bucket, Key="dir/obj one+é")
assert head["ContentLength"] == len(body)
keys = [o["Key"] for o in s3.list_objects(Bucket=bucket)["Contents"]]
assert keys == ["dir/obj one+é"], keys
keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="dir/")["Contents"]]
assert keys == ["dir/obj one+é"], keys
s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "dir/obj one+é"})
assert s3.get_object(Bucket=bucket, Key="copy")["Body"].read() == body
s3.put_object_tagging(Bucket=bucket, Key="copy", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
assert s3.get_object_tagging(Bucket=bucket, Key="copy")["TagSet"] == [{"Key": "k", "Value": "v"}]

# Multipart: uploads, uploadId and partNumber are signed sub-resources.
mpu = s3.create_multipart_upload(Bucket=bucket, Key="mp")
uid = mpu["UploadId"]
part1 = os.urandom(5 * 1024 * 1024)
e1 = s3.upload_part(Bucket=bucket, Key="mp", UploadId=uid, PartNumber=1, Body=part1)["ETag"]
e2 = s3.upload_part_copy(Bucket=bucket, Key="mp", UploadId=uid, PartNumber=2,
                         CopySource={"Bucket": bucket, "Key": "dir/obj one+é"},
                         CopySourceRange="bytes=0-99")["CopyPartResult"]["ETag"]
parts = s3.list_parts(Bucket=bucket, Key="mp", UploadId=uid)["Parts"]
assert [p["PartNumber"] for p in parts] == [1, 2], parts
uploads = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
assert [u["UploadId"] for u in uploads] == [uid], uploads
s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=uid, MultipartUpload={
    "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == part1 + body[:100]
mpu = s3.create_multipart_upload(Bucket=bucket, Key="aborted")
s3.abort_multipart_upload(Bucket=bucket, Key="aborted", UploadId=mpu["UploadId"])
deleted = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "copy"}, {"Key": "mp"}]})
assert len(deleted["Deleted"]) == 2, deleted

# Permissions as with SigV4: the read-only key reads but cannot write.
assert ro.get_object(Bucket=bucket, Key="dir/obj one+é")["Body"].read() == body
expect_error("AccessDenied", ro.put_object, Bucket=bucket, Key="nope", Body=b"x")
expect_error("AccessDenied", ro.delete_object, Bucket=bucket, Key="dir/obj one+é")

# Wrong secret and unknown key.
bad = client(endpoint, access_key=os.environ["AWS_ACCESS_KEY_ID"], secret_key="wrong", **v2)
expect_error("SignatureDoesNotMatch", bad.get_object, Bucket=bucket, Key="dir/obj one+é")
unknown = client(endpoint, access_key="NOSUCHKEY", secret_key="x", **v2)
expect_error("InvalidAccessKeyId", unknown.list_objects, Bucket=bucket)

# Presigned URLs (query auth): GET, PUT, expiry, tampering.
url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "dir/obj one+é"},
                                ExpiresIn=300)
assert "AWSAccessKeyId=" in url and "Signature=" in url and "Expires=" in url, url
status, data = fetch(url)
assert status == 200 and data == body, (status, data[:200])
status, data = fetch(url.replace("Expires=", "Expires=1"))
assert status == 403 and b"SignatureDoesNotMatch" in data, (status, data)
# The Content-Type is part of what SigV2 signs (urllib would send a form type otherwise).
url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "presigned-put",
                                                      "ContentType": "text/plain"},
                                ExpiresIn=300)
status, data = fetch(url, method="PUT", data=b"hello v2",
                     headers={"Content-Type": "text/html"})
assert status == 403 and b"SignatureDoesNotMatch" in data, (status, data)
status, data = fetch(url, method="PUT", data=b"hello v2",
                     headers={"Content-Type": "text/plain"})
assert status == 200, (status, data)
assert s3.get_object(Bucket=bucket, Key="presigned-put")["Body"].read() == b"hello v2"
url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "presigned-put"},
                                ExpiresIn=1)
time.sleep(2.1)
status, data = fetch(url)
assert status == 403 and b"<Code>AccessDenied</Code>" in data, (status, data)
assert b"Request has expired" in data, data
url = ro.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "ro-put",
                                                      "ContentType": "text/plain"},
                                ExpiresIn=300)
status, data = fetch(url, method="PUT", data=b"x", headers={"Content-Type": "text/plain"})
assert status == 403 and b"<Code>AccessDenied</Code>" in data, (status, data)

# Header auth with a Date 20 minutes off: RequestTimeTooSkewed.
secret = os.environ["AWS_SECRET_ACCESS_KEY"].encode()
for skew in (-1200, 1200):
    date = email.utils.formatdate(time.time() + skew, usegmt=True)
    sts = f"GET\n\n\n{date}\n/{bucket}/presigned-put"
    sig = base64.b64encode(hmac.new(secret, sts.encode(), hashlib.sha1).digest()).decode()
    status, data = fetch(f"{endpoint}/{bucket}/presigned-put", headers={
        "Date": date, "Authorization": f"AWS {os.environ['AWS_ACCESS_KEY_ID']}:{sig}"})
    assert status == 403 and b"RequestTimeTooSkewed" in data, (status, data)
date = email.utils.formatdate(time.time(), usegmt=True)
sts = f"GET\n\n\n{date}\n/{bucket}/presigned-put"
sig = base64.b64encode(hmac.new(secret, sts.encode(), hashlib.sha1).digest()).decode()
status, data = fetch(f"{endpoint}/{bucket}/presigned-put", headers={
    "Date": date, "Authorization": f"AWS {os.environ['AWS_ACCESS_KEY_ID']}:{sig}"})
assert status == 200 and data == b"hello v2", (status, data)

# Virtual-hosted style: the bucket comes from the Host and is signed before the path.
port = urllib.parse.urlparse(endpoint).port
for resource, expected in ((f"/{bucket}/presigned-put", 200), ("/presigned-put", 403)):
    date = email.utils.formatdate(time.time(), usegmt=True)
    sts = f"GET\n\n\n{date}\n{resource}"
    sig = base64.b64encode(hmac.new(secret, sts.encode(), hashlib.sha1).digest()).decode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/presigned-put", headers={
        "Host": f"{bucket}.{domain}:{port}", "Date": date,
        "Authorization": f"AWS {os.environ['AWS_ACCESS_KEY_ID']}:{sig}"})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    assert resp.status == expected, (resource, resp.status, data)
    if expected == 200:
        assert data == b"hello v2", data

# x-amz-copy-source is signed percent-encoded by SigV4 clients too (it arrives decoded).
v4 = client(endpoint, signature_version="s3v4", path_style=True)
v4.copy_object(Bucket=bucket, Key="v4 copy", CopySource={"Bucket": bucket, "Key": "dir/obj one+é"})
assert v4.get_object(Bucket=bucket, Key="v4 copy")["Body"].read() == body
mpu = v4.create_multipart_upload(Bucket=bucket, Key="v4 mp")
v4.upload_part_copy(Bucket=bucket, Key="v4 mp", UploadId=mpu["UploadId"], PartNumber=1,
                    CopySource={"Bucket": bucket, "Key": "dir/obj one+é"})
v4.abort_multipart_upload(Bucket=bucket, Key="v4 mp", UploadId=mpu["UploadId"])

for key in ("dir/obj one+é", "presigned-put", "v4 copy"):
    s3.delete_object(Bucket=bucket, Key=key)
s3.delete_bucket(Bucket=bucket)
print("sigv2 OK")
