"""A bucket filled with boto3 the way users' buckets are (not by git-annex): objects under a
prefix and outside it, single-part, SHA-256-checksummed, multipart, a folder placeholder, names
with spaces and unicode; and whether the git-annex under test imports from external remotes."""

from __future__ import annotations

from pathlib import Path

from support.repos import run

PREFIX = "lab/"
PART = 5 * 1024 * 1024
MULTI = bytes(range(256)) * (PART // 256) + b"tail of the multipart object"
OBJECTS = {  # relative to PREFIX
    "plain.txt": b"plain single-part object\n",
    "sub dir/\u00fcn\u00efc\u00f6d\u00e9 name.csv": b"a,b\n1,2\n",
    "data.tar.gz": b"not really a tarball",
}
SHA_NAME, SHA_BODY = "checksummed.bin", b"stored with a SHA-256 checksum"
MULTI_NAME = "big/multi.dat"
OUTSIDE = {"other/outside.txt": b"not under the prefix", "labx/near.txt": b"prefix lookalike"}


def imports_external(env: dict[str, str]) -> bool:
    """Whether this git-annex imports from external remotes (10.20261026 does; 10.20230126
    does not: the tests assert its refusal)."""
    raw = run(["git", "annex", "version", "--raw"], Path("/"), env).stdout.strip()
    return tuple(int(p) for p in raw.split("-")[0].split(".")[:2]) >= (10, 20261026)


def fill_bucket(client, bucket: str, versioned: bool = False) -> None:
    client.create_bucket(Bucket=bucket)
    if versioned:
        client.put_bucket_versioning(Bucket=bucket,
                                     VersioningConfiguration={"Status": "Enabled"})
    for name, body in {**{PREFIX + k: v for k, v in OBJECTS.items()}, **OUTSIDE}.items():
        client.put_object(Bucket=bucket, Key=name, Body=body)
    client.put_object(Bucket=bucket, Key=PREFIX + SHA_NAME, Body=SHA_BODY,
                      ChecksumAlgorithm="SHA256")
    client.put_object(Bucket=bucket, Key=PREFIX + "empty-folder/", Body=b"")
    upload = client.create_multipart_upload(Bucket=bucket, Key=PREFIX + MULTI_NAME)
    parts = []
    for number, start in ((1, 0), (2, PART)):
        answer = client.upload_part(Bucket=bucket, Key=PREFIX + MULTI_NAME, PartNumber=number,
                                    UploadId=upload["UploadId"], Body=MULTI[start:start + PART])
        parts.append({"PartNumber": number, "ETag": answer["ETag"]})
    client.complete_multipart_upload(Bucket=bucket, Key=PREFIX + MULTI_NAME,
                                     UploadId=upload["UploadId"],
                                     MultipartUpload={"Parts": parts})
