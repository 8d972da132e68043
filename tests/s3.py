"""A real S3 server on this machine for a test session: moto's, on a free loopback port, that
checks every request's credentials as S3 does (a wrong secret key gets
`SignatureDoesNotMatch`), with one user whose keys may do anything in S3."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tests.conftest import free_port, wait_for

REGION = "us-east-1"


@dataclass(frozen=True)
class S3:
    endpoint: str  # http://127.0.0.1:PORT
    key_id: str
    secret: str

    def environment(self, **changed: str) -> dict[str, str]:
        """The AWS variables a process reaches this server with (`changed` overriding)."""
        return {
            "AWS_ACCESS_KEY_ID": self.key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret,
            "AWS_REGION": REGION,
            "AWS_ENDPOINT_URL": self.endpoint,
        } | changed

    def client(self, *, secret: str | None = None) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=self.key_id,
            aws_secret_access_key=secret or self.secret,
        )

    def new_bucket(self) -> str:
        """A new, empty bucket's name."""
        name = f"mlops-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        """Every key in `bucket` under `prefix`."""
        pages = (
            self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        )
        return [item["Key"] for page in pages for item in page.get("Contents", ())]


@contextlib.contextmanager
def server() -> Iterator[S3]:
    """moto's S3 server, answering once it does; stopped at the end."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    # requests before its IAM user exists are let through: the three that make it
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="3")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        wait_for(lambda: _answers(endpoint, process), "the S3 server to answer", seconds=60)
        found = _with_user(endpoint)
        yield found
    finally:
        process.terminate()
        process.wait(timeout=30)


def _answers(endpoint: str, process: subprocess.Popen[bytes]) -> bool:
    assert process.poll() is None, "the S3 server exited"
    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1):
            return True
    except OSError:
        return False


def _with_user(endpoint: str) -> S3:
    """The user the tests act as, made by the requests moto lets through; then the server
    is made to refuse what is not signed by it (its leftover free requests used up)."""
    import boto3
    from botocore.exceptions import ClientError

    iam = boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="setup",
        aws_secret_access_key="setup",
    )
    iam.create_user(UserName="team")
    key = iam.create_access_key(UserName="team")["AccessKey"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
    }
    iam.put_user_policy(UserName="team", PolicyName="s3", PolicyDocument=json.dumps(policy))
    found = S3(endpoint, key["AccessKeyId"], key["SecretAccessKey"])
    stranger = found.client(secret="not-the-secret")

    def refused() -> bool:
        try:
            stranger.list_buckets()
        except ClientError:
            return True
        return False

    wait_for(refused, "the S3 server to check credentials", seconds=10)
    return found
