#!/usr/bin/env python3
"""Canned ACLs and CORS against natss3d with boto3: put/get bucket and object ACLs (canned and
as an AccessControlPolicy), anonymous GET via urllib only after public-read, CORS configuration
round trip and an OPTIONS preflight via http.client.
Usage: boto3_acl_cors.py ENDPOINT (credentials from AWS_*). Prints "acl cors OK"."""
import http.client
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from s3_clients import client, expect_error  # noqa: E402

endpoint = sys.argv[1]
s3 = client(endpoint, signature_version="s3v4", path_style=True)
bucket = "acl-cors"
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def anon_status(path):
    try:
        with urllib.request.urlopen(endpoint + path) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def grants(acl):
    return sorted((g["Grantee"].get("URI", g["Grantee"].get("ID")), g["Permission"])
                  for g in acl["Grants"])


s3.create_bucket(Bucket=bucket)
s3.put_object(Bucket=bucket, Key="a.txt", Body=b"hello")
acl = s3.get_bucket_acl(Bucket=bucket)
assert acl["Owner"]["ID"], acl
assert grants(acl) == [(acl["Owner"]["ID"], "FULL_CONTROL")], acl
assert anon_status(f"/{bucket}/a.txt")[0] == 403

s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
assert (ALL_USERS, "READ") in grants(s3.get_bucket_acl(Bucket=bucket))
status, body = anon_status(f"/{bucket}/a.txt")
assert (status, body) == (200, b"hello"), (status, body)
status, body = anon_status(f"/{bucket}?list-type=2")
assert status == 200 and b"<Key>a.txt</Key>" in body, body

# Back to private with the policy the SDK read (minus the public grant).
policy = s3.get_bucket_acl(Bucket=bucket)
policy = {"Owner": policy["Owner"],
          "Grants": [g for g in policy["Grants"] if g["Grantee"].get("URI") != ALL_USERS]}
s3.put_bucket_acl(Bucket=bucket, AccessControlPolicy=policy)
assert anon_status(f"/{bucket}/a.txt")[0] == 403

# Object ACLs: on put, by put_object_acl, and arbitrary grants refused.
s3.put_object(Bucket=bucket, Key="pub.txt", Body=b"pub", ACL="public-read")
assert anon_status(f"/{bucket}/pub.txt") == (200, b"pub")
assert (ALL_USERS, "READ") in grants(s3.get_object_acl(Bucket=bucket, Key="pub.txt"))
s3.put_object_acl(Bucket=bucket, Key="pub.txt", ACL="private")
assert anon_status(f"/{bucket}/pub.txt")[0] == 403
s3.put_object_acl(Bucket=bucket, Key="a.txt", ACL="public-read")
assert anon_status(f"/{bucket}/a.txt") == (200, b"hello")
expect_error("NotImplemented", s3.put_object_acl, Bucket=bucket, Key="a.txt",
             GrantRead='id="someone-else"')
s3.copy_object(Bucket=bucket, Key="copy.txt", CopySource={"Bucket": bucket, "Key": "a.txt"})
assert anon_status(f"/{bucket}/copy.txt")[0] == 403, "copies are private"

# CORS.
expect_error("NoSuchCORSConfiguration", s3.get_bucket_cors, Bucket=bucket)
rules = [{"ID": "browser", "AllowedOrigins": ["https://*.example.com"],
          "AllowedMethods": ["PUT", "GET"], "AllowedHeaders": ["*"],
          "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 3000}]
s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
got = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
assert got == rules, got
expect_error("InvalidRequest", s3.put_bucket_cors, Bucket=bucket, CORSConfiguration={
    "CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]}]})

url = urllib.parse.urlparse(endpoint)
conn = http.client.HTTPConnection(url.hostname, url.port)
conn.request("OPTIONS", f"/{bucket}/upload.bin", headers={
    "Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT",
    "Access-Control-Request-Headers": "content-type"})
r = conn.getresponse()
r.read()
assert r.status == 200, r.status
assert r.getheader("Access-Control-Allow-Origin") == "https://app.example.com"
assert "PUT" in r.getheader("Access-Control-Allow-Methods")
assert r.getheader("Access-Control-Max-Age") == "3000"
conn.request("OPTIONS", f"/{bucket}/upload.bin", headers={
    "Origin": "https://evil.test", "Access-Control-Request-Method": "PUT"})
r = conn.getresponse()
body = r.read()
assert r.status == 403 and b"CORSResponse" in body, (r.status, body)

# A browser's presigned PUT: the response names the origin and exposes the ETag.
presigned = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "up.bin"})
parts = urllib.parse.urlparse(presigned)
conn.request("PUT", parts.path + "?" + parts.query, body=b"browser",
             headers={"Origin": "https://app.example.com"})
r = conn.getresponse()
body = r.read()
assert r.status == 200, (r.status, body)
assert r.getheader("Access-Control-Allow-Origin") == "https://app.example.com"
assert r.getheader("Access-Control-Expose-Headers") == "ETag"
assert s3.get_object(Bucket=bucket, Key="up.bin")["Body"].read() == b"browser"

s3.delete_bucket_cors(Bucket=bucket)
expect_error("NoSuchCORSConfiguration", s3.get_bucket_cors, Bucket=bucket)
for key in ("a.txt", "pub.txt", "copy.txt", "up.bin"):
    s3.delete_object(Bucket=bucket, Key=key)
s3.delete_bucket(Bucket=bucket)
print("acl cors OK")
