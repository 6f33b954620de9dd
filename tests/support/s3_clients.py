"""boto3 clients for the Python tests (tests/s3d scripts, tests/crash, tests/cluster): one place
that knows the region, the addressing and signing options, and how an expected S3 error is
checked.

Import it with tests/support on sys.path (add it relative to the importing file).
"""
import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

REGION = "us-east-1"


def client(endpoint, signature_version=None, path_style=False, anonymous=False, verify=None,
           access_key=None, secret_key=None, **config):
    """An S3 client for `endpoint` in us-east-1. signature_version: "s3v4", "s3" (SigV2) or
    None (boto3's default); path_style: bucket in the path, never in the host name;
    anonymous: unsigned requests; access_key/secret_key: instead of the environment's;
    `config`: further botocore Config options (retries, timeouts, ...)."""
    if anonymous:
        config["signature_version"] = UNSIGNED
    elif signature_version:
        config["signature_version"] = signature_version
    if path_style:
        config["s3"] = {"addressing_style": "path"}
    kwargs = {}
    if verify is not None:
        kwargs["verify"] = verify
    if access_key is not None:
        kwargs.update(aws_access_key_id=access_key, aws_secret_access_key=secret_key)
    return boto3.client("s3", endpoint_url=endpoint, region_name=REGION,
                        config=Config(**config), **kwargs)


def expect_error(code, fn, *args, **kwargs):
    """Calls fn(*args, **kwargs), which must fail with S3 error `code`; returns the response."""
    try:
        fn(*args, **kwargs)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, f"expected {code}, got {got}: {e.response}"
        return e.response
    raise AssertionError(f"expected {code}, call succeeded")
