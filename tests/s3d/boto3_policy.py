#!/usr/bin/env python3
"""Bucket policies against natss3d with boto3: put/get/delete_bucket_policy, anonymous GET via
urllib granted by a policy, Deny over a key's own permissions (also NotAction), an Allow for a
read-only key, DeleteObjects key by key, invalid policies, and the policy operations' own rules.
Usage: boto3_policy.py ENDPOINT READONLY_KEY READONLY_SECRET (owner credentials from AWS_*).
Prints "policy OK"."""
import json
import os
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from s3_clients import client, expect_error  # noqa: E402

endpoint, ro_key, ro_secret = sys.argv[1:4]
s3 = client(endpoint, signature_version="s3v4", path_style=True)
ro = client(endpoint, signature_version="s3v4", path_style=True, access_key=ro_key,
            secret_key=ro_secret)
anon = client(endpoint, path_style=True, anonymous=True)
bucket = "policy-e2e"
ARN = "arn:aws:s3:::" + bucket


def anon_get(path):
    try:
        with urllib.request.urlopen(endpoint + "/" + bucket + path) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def statement(effect, action, resource, principal="*", key="Action"):
    return {"Effect": effect, "Principal": principal, key: action, "Resource": resource}


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


s3.create_bucket(Bucket=bucket)
expect_error("NoSuchBucketPolicy", s3.get_bucket_policy, Bucket=bucket)
s3.put_object(Bucket=bucket, Key="pub/a.txt", Body=b"public")
s3.put_object(Bucket=bucket, Key="priv/b.txt", Body=b"private")
assert anon_get("/pub/a.txt")[0] == 403

# An Allow for everyone on pub/*: anonymous reads of pub/ only, no listing.
allow_pub = statement("Allow", "s3:GetObject", ARN + "/pub/*", principal={"AWS": ["*"]})
text = policy(allow_pub)
s3.put_bucket_policy(Bucket=bucket, Policy=text)
assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == text
assert anon_get("/pub/a.txt") == (200, b"public"), anon_get("/pub/a.txt")
assert anon.get_object(Bucket=bucket, Key="pub/a.txt")["Body"].read() == b"public"
assert anon.head_object(Bucket=bucket, Key="pub/a.txt")["ContentLength"] == 6
assert anon_get("/priv/b.txt")[0] == 403
assert anon_get("/")[0] == 403  # s3:ListBucket not granted
expect_error("AccessDenied", anon.put_object, Bucket=bucket, Key="pub/new", Body=b"x")
# The read-only key may read but not write, policy or not.
expect_error("AccessDenied", ro.put_object, Bucket=bucket, Key="pub/new", Body=b"x")

# A Deny beats the owner's own permissions; an Allow names the read-only key by ARN.
deny_locked = statement("Deny", "s3:PutObject", ARN + "/locked/*")
allow_ro = statement("Allow", ["s3:PutObject", "s3:DeleteObject"], ARN + "/ro/*",
                     principal={"AWS": "arn:aws:iam::123456789012:user/" + ro_key})
s3.put_bucket_policy(Bucket=bucket, Policy=policy(allow_pub, deny_locked, allow_ro))
expect_error("AccessDenied", s3.put_object, Bucket=bucket, Key="locked/x", Body=b"x")
s3.put_object(Bucket=bucket, Key="open/x", Body=b"x")
ro.put_object(Bucket=bucket, Key="ro/x", Body=b"from ro")
ro.put_object(Bucket=bucket, Key="ro/y", Body=b"from ro")
expect_error("AccessDenied", ro.put_object, Bucket=bucket, Key="open/y", Body=b"x")
expect_error("AccessDenied", anon.put_object, Bucket=bucket, Key="ro/z", Body=b"x")
# DeleteObjects by the read-only key: its ro/ keys go, the others answer AccessDenied.
res = ro.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "ro/y"}, {"Key": "open/x"}]})
assert [d["Key"] for d in res.get("Deleted", [])] == ["ro/y"], res
assert [(e["Key"], e["Code"]) for e in res.get("Errors", [])] == [("open/x", "AccessDenied")], res
s3.head_object(Bucket=bucket, Key="open/x")

# A copy's source answers to s3:GetObject of its bucket's policy.
s3.put_object(Bucket=bucket, Key="secret/s.txt", Body=b"secret")
s3.put_bucket_policy(Bucket=bucket, Policy=policy(
    statement("Deny", "s3:GetObject", ARN + "/secret/*")))
expect_error("AccessDenied", s3.copy_object, Bucket=bucket, Key="open/copy",
             CopySource={"Bucket": bucket, "Key": "secret/s.txt"})
expect_error("AccessDenied", s3.get_object, Bucket=bucket, Key="secret/s.txt")
s3.copy_object(Bucket=bucket, Key="open/copy", CopySource={"Bucket": bucket, "Key": "open/x"})
s3.delete_object(Bucket=bucket, Key="open/copy")
s3.delete_object(Bucket=bucket, Key="secret/s.txt")

# NotAction: everything but GetObject is denied on pub/*, even to the owner.
s3.put_bucket_policy(Bucket=bucket, Policy=policy(
    allow_pub, statement("Deny", "s3:GetObject", ARN + "/pub/*", key="NotAction")))
expect_error("AccessDenied", s3.delete_object, Bucket=bucket, Key="pub/a.txt")
expect_error("AccessDenied", s3.put_object, Bucket=bucket, Key="pub/a.txt", Body=b"y")
assert s3.get_object(Bucket=bucket, Key="pub/a.txt")["Body"].read() == b"public"
s3.delete_object(Bucket=bucket, Key="priv/b.txt")  # outside pub/: not denied

# The policy operations need a key with write permission; a policy never grants them.
s3.put_bucket_policy(Bucket=bucket, Policy=policy(statement("Allow", "s3:*", [ARN, ARN + "/*"])))
expect_error("AccessDenied", ro.put_bucket_policy, Bucket=bucket, Policy=policy(allow_pub))
expect_error("AccessDenied", ro.delete_bucket_policy, Bucket=bucket)
expect_error("AccessDenied", anon.get_bucket_policy, Bucket=bucket)
assert anon_get("/")[0] == 200  # s3:* covers ListBucket

# Invalid policies are refused and leave the stored one alone.
stored = s3.get_bucket_policy(Bucket=bucket)["Policy"]
for bad, code in [
    ("not json", "MalformedPolicy"),
    (policy(statement("Allow", "s3:GetObject", "arn:aws:s3:::other-bucket/*")), "MalformedPolicy"),
    (policy(statement("Maybe", "s3:GetObject", ARN + "/*")), "MalformedPolicy"),
    (policy(statement("Allow", "iam:PassRole", ARN + "/*")), "MalformedPolicy"),
    (policy(statement("Allow", "s3:GetObject", ARN + "/*", principal={"Service": "x"})),
     "MalformedPolicy"),
    (json.dumps({"Version": "2001-01-01", "Statement": [allow_pub]}), "MalformedPolicy"),
    (policy(dict(allow_pub, Condition={"Bool": {"aws:SecureTransport": "true"}})),
     "NotImplemented"),
    (policy(*[dict(allow_pub, Sid="s%05d" % i) for i in range(300)]), "PolicyTooLarge"),
]:
    expect_error(code, s3.put_bucket_policy, Bucket=bucket, Policy=bad)
assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == stored

# Delete: anonymous access ends at once on this gateway.
s3.delete_bucket_policy(Bucket=bucket)
expect_error("NoSuchBucketPolicy", s3.get_bucket_policy, Bucket=bucket)
assert anon_get("/pub/a.txt")[0] == 403
expect_error("NoSuchBucket", s3.get_bucket_policy, Bucket="no-such-policy-bucket")

# The policy goes with the bucket: a re-created bucket has none.
s3.put_bucket_policy(Bucket=bucket, Policy=policy(allow_pub))
for key in ["pub/a.txt", "open/x", "ro/x"]:
    s3.delete_object(Bucket=bucket, Key=key)
s3.delete_bucket(Bucket=bucket)
s3.create_bucket(Bucket=bucket)
expect_error("NoSuchBucketPolicy", s3.get_bucket_policy, Bucket=bucket)
s3.delete_bucket(Bucket=bucket)
print("policy OK")
