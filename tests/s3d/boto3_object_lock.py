#!/usr/bin/env python3
"""S3 Object Lock against natss3d with boto3: bucket configuration, per-object retention and
legal hold (headers and sub-resources), refusals of delete and overwrite, governance bypass
allowed and denied, compliance not shortenable, default retention, multi-delete errors.
Usage: boto3_object_lock.py ENDPOINT BYPASS_KEY BYPASS_SECRET PLAIN_KEY PLAIN_SECRET
(the first key may bypass governance retention, the second may only write). Prints
"object lock OK"."""
import datetime
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint, admin_key, admin_secret, plain_key, plain_secret = sys.argv[1:6]


def client(key, secret):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=Config(signature_version="s3v4",
                                      s3={"addressing_style": "path"}))


admin = client(admin_key, admin_secret)
s3 = client(plain_key, plain_secret)


def expect_error(code, status, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        got_status = e.response["ResponseMetadata"]["HTTPStatusCode"]
        assert (got, got_status) == (code, status), \
            f"expected {code} {status}, got {got} {got_status}: {e}"
        return e
    raise AssertionError(f"expected {code}, call succeeded")


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def later(**kw):
    return (now() + datetime.timedelta(**kw)).replace(microsecond=0)


lock_bucket, plain_bucket = "lock-e2e", "nolock-e2e"

# --- Bucket configuration
s3.create_bucket(Bucket=plain_bucket)
expect_error("ObjectLockConfigurationNotFoundError", 404,
             s3.get_object_lock_configuration, Bucket=plain_bucket)
expect_error("InvalidBucketState", 409, s3.put_object_lock_configuration, Bucket=plain_bucket,
             ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})
expect_error("InvalidRequest", 400, s3.put_object, Bucket=plain_bucket, Key="k", Body=b"x",
             ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=later(hours=1))
expect_error("InvalidRequest", 400, s3.put_object, Bucket=plain_bucket, Key="k", Body=b"x",
             ObjectLockLegalHoldStatus="ON")
s3.put_object(Bucket=plain_bucket, Key="k", Body=b"x")
expect_error("InvalidRequest", 400, s3.get_object_retention, Bucket=plain_bucket, Key="k")
expect_error("InvalidRequest", 400, s3.put_object_legal_hold, Bucket=plain_bucket, Key="k",
             LegalHold={"Status": "ON"})

s3.create_bucket(Bucket=lock_bucket, ObjectLockEnabledForBucket=True)
conf = s3.get_object_lock_configuration(Bucket=lock_bucket)["ObjectLockConfiguration"]
assert conf == {"ObjectLockEnabled": "Enabled"}, conf
# Documented difference: the bucket reports versioning as not enabled.
assert "Status" not in s3.get_bucket_versioning(Bucket=lock_bucket)

# --- Per-object retention through headers, shown by HEAD and GET
until = later(hours=2)
s3.put_object(Bucket=lock_bucket, Key="gov", Body=b"governed", ObjectLockMode="GOVERNANCE",
              ObjectLockRetainUntilDate=until)
head = s3.head_object(Bucket=lock_bucket, Key="gov")
assert head["ObjectLockMode"] == "GOVERNANCE", head
assert head["ObjectLockRetainUntilDate"] == until, (head["ObjectLockRetainUntilDate"], until)
got = s3.get_object(Bucket=lock_bucket, Key="gov")
assert got["ObjectLockMode"] == "GOVERNANCE" and got["Body"].read() == b"governed"
ret = s3.get_object_retention(Bucket=lock_bucket, Key="gov")["Retention"]
assert ret["Mode"] == "GOVERNANCE" and ret["RetainUntilDate"] == until, ret

# Bad headers
expect_error("InvalidArgument", 400, s3.put_object, Bucket=lock_bucket, Key="bad", Body=b"",
             ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=now() - datetime.timedelta(
                 hours=1))
expect_error("InvalidArgument", 400, s3.put_object, Bucket=lock_bucket, Key="bad", Body=b"",
             ObjectLockMode="GOVERNANCE")
expect_error("InvalidArgument", 400, s3.put_object, Bucket=lock_bucket, Key="bad", Body=b"",
             ObjectLockMode="FOREVER", ObjectLockRetainUntilDate=later(hours=1))

# --- Delete and overwrite refused
e = expect_error("AccessDenied", 403, s3.delete_object, Bucket=lock_bucket, Key="gov")
expect_error("AccessDenied", 403, s3.put_object, Bucket=lock_bucket, Key="gov", Body=b"new")
s3.put_object(Bucket=lock_bucket, Key="src", Body=b"source")
expect_error("AccessDenied", 403, s3.copy_object, Bucket=lock_bucket, Key="gov",
             CopySource={"Bucket": lock_bucket, "Key": "src"})
mpu = s3.create_multipart_upload(Bucket=lock_bucket, Key="gov")
part = s3.upload_part(Bucket=lock_bucket, Key="gov", UploadId=mpu["UploadId"], PartNumber=1,
                      Body=b"part")
expect_error("AccessDenied", 403, s3.complete_multipart_upload, Bucket=lock_bucket, Key="gov",
             UploadId=mpu["UploadId"],
             MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
s3.abort_multipart_upload(Bucket=lock_bucket, Key="gov", UploadId=mpu["UploadId"])
assert s3.get_object(Bucket=lock_bucket, Key="gov")["Body"].read() == b"governed"

# --- Governance bypass: denied without the permission, allowed with it
expect_error("AccessDenied", 403, s3.delete_object, Bucket=lock_bucket, Key="gov",
             BypassGovernanceRetention=True)
expect_error("AccessDenied", 403, s3.put_object_retention, Bucket=lock_bucket, Key="gov",
             Retention={"Mode": "GOVERNANCE", "RetainUntilDate": later(minutes=30)})
expect_error("AccessDenied", 403, s3.put_object_retention, Bucket=lock_bucket, Key="gov",
             Retention={"Mode": "GOVERNANCE", "RetainUntilDate": later(minutes=30)},
             BypassGovernanceRetention=True)
# Extending needs no bypass.
s3.put_object_retention(Bucket=lock_bucket, Key="gov",
                        Retention={"Mode": "GOVERNANCE", "RetainUntilDate": later(hours=3)})
admin.put_object_retention(Bucket=lock_bucket, Key="gov",
                           Retention={"Mode": "GOVERNANCE", "RetainUntilDate": later(minutes=30)},
                           BypassGovernanceRetention=True)
assert s3.get_object_retention(Bucket=lock_bucket, Key="gov")["Retention"][
    "RetainUntilDate"] < later(hours=1)
expect_error("AccessDenied", 403, admin.delete_object, Bucket=lock_bucket, Key="gov")
admin.delete_object(Bucket=lock_bucket, Key="gov", BypassGovernanceRetention=True)
try:
    s3.head_object(Bucket=lock_bucket, Key="gov")
    raise AssertionError("gov still exists")
except ClientError as err:
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 404

# --- Compliance: never shortened, not even with bypass
s3.put_object(Bucket=lock_bucket, Key="comp", Body=b"c", ObjectLockMode="COMPLIANCE",
              ObjectLockRetainUntilDate=later(hours=1))
expect_error("AccessDenied", 403, admin.put_object_retention, Bucket=lock_bucket, Key="comp",
             Retention={"Mode": "COMPLIANCE", "RetainUntilDate": later(minutes=10)},
             BypassGovernanceRetention=True)
expect_error("AccessDenied", 403, admin.put_object_retention, Bucket=lock_bucket, Key="comp",
             Retention={"Mode": "GOVERNANCE", "RetainUntilDate": later(hours=5)},
             BypassGovernanceRetention=True)
expect_error("AccessDenied", 403, admin.delete_object, Bucket=lock_bucket, Key="comp",
             BypassGovernanceRetention=True)
s3.put_object_retention(Bucket=lock_bucket, Key="comp",
                        Retention={"Mode": "COMPLIANCE", "RetainUntilDate": later(hours=2)})

# --- Legal hold
s3.put_object(Bucket=lock_bucket, Key="held", Body=b"h", ObjectLockLegalHoldStatus="ON")
assert s3.head_object(Bucket=lock_bucket, Key="held")["ObjectLockLegalHoldStatus"] == "ON"
assert s3.get_object_legal_hold(Bucket=lock_bucket, Key="held")["LegalHold"]["Status"] == "ON"
expect_error("AccessDenied", 403, admin.delete_object, Bucket=lock_bucket, Key="held",
             BypassGovernanceRetention=True)
s3.put_object(Bucket=lock_bucket, Key="free", Body=b"f")
expect_error("NoSuchObjectLockConfiguration", 404, s3.get_object_legal_hold,
             Bucket=lock_bucket, Key="free")
expect_error("NoSuchObjectLockConfiguration", 404, s3.get_object_retention,
             Bucket=lock_bucket, Key="free")
s3.put_object_legal_hold(Bucket=lock_bucket, Key="free", LegalHold={"Status": "ON"})
expect_error("AccessDenied", 403, s3.delete_object, Bucket=lock_bucket, Key="free")

# --- Multi-delete reports per-key AccessDenied
result = s3.delete_objects(Bucket=lock_bucket, Delete={"Objects": [
    {"Key": "held"}, {"Key": "comp"}, {"Key": "src"}]})
errors = {e["Key"]: e["Code"] for e in result.get("Errors", [])}
assert errors == {"held": "AccessDenied", "comp": "AccessDenied"}, result
assert [d["Key"] for d in result.get("Deleted", [])] == ["src"], result

# Releasing the hold lets go.
s3.put_object_legal_hold(Bucket=lock_bucket, Key="held", LegalHold={"Status": "OFF"})
assert s3.get_object_legal_hold(Bucket=lock_bucket, Key="held")["LegalHold"]["Status"] == "OFF"
s3.delete_object(Bucket=lock_bucket, Key="held")

# --- Default retention
s3.put_object_lock_configuration(Bucket=lock_bucket, ObjectLockConfiguration={
    "ObjectLockEnabled": "Enabled",
    "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
conf = s3.get_object_lock_configuration(Bucket=lock_bucket)["ObjectLockConfiguration"]
assert conf["Rule"]["DefaultRetention"] == {"Mode": "GOVERNANCE", "Days": 1}, conf
s3.put_object(Bucket=lock_bucket, Key="defaulted", Body=b"d")
head = s3.head_object(Bucket=lock_bucket, Key="defaulted")
assert head["ObjectLockMode"] == "GOVERNANCE", head
delta = head["ObjectLockRetainUntilDate"] - now()
assert abs(delta.total_seconds() - 86400) < 120, delta
expect_error("AccessDenied", 403, s3.delete_object, Bucket=lock_bucket, Key="defaulted")
for bad in ({"ObjectLockEnabled": "Enabled",
             "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1, "Years": 1}}},
            {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Days": 1}}}):
    expect_error("MalformedXML", 400, s3.put_object_lock_configuration, Bucket=lock_bucket,
                 ObjectLockConfiguration=bad)
expect_error("InvalidArgument", 400, s3.put_object_lock_configuration, Bucket=lock_bucket,
             ObjectLockConfiguration={"ObjectLockEnabled": "Enabled", "Rule": {
                 "DefaultRetention": {"Mode": "GOVERNANCE", "Days": 0}}})

# --- A bucket holding locked objects is not deleted
expect_error("BucketNotEmpty", 409, admin.delete_bucket, Bucket=lock_bucket)
print("object lock OK")
