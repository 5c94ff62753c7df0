"""Every transfer ends with a PROGRESS of its whole size, right before TRANSFER-SUCCESS (as
git-annex's built-in S3 remote reaches 100 %), however quick it was: over the real pipes, in
key and export mode, through the lean path and through botocore (multipart)."""

from __future__ import annotations

import os

import pytest
from support.pipes import RemotePipe, annex_key, without_debug

MiB = 1024**2


def started(env, annex_dir, config) -> RemotePipe:
    annex = RemotePipe(env, config, annex_dir)
    assert annex.transcript("EXTENSIONS INFO GETGITREMOTENAME") == ["EXTENSIONS INFO"]
    assert annex.transcript("INITREMOTE")[-1] == "INITREMOTE-SUCCESS"
    assert annex.transcript("PREPARE") == ["PREPARE-SUCCESS"]
    return annex


def ends_with_full_size(lines: list[str], size: int, success: str) -> None:
    replies = without_debug(lines)
    assert replies[-2:] == [f"PROGRESS {size}", success], replies
    counts = [int(line.split(" ")[1]) for line in replies[:-1] if line.startswith("PROGRESS ")]
    assert counts == sorted(set(counts))  # growing, never repeated


@pytest.mark.parametrize("size", [1000, 6 * MiB])  # one lean PUT; a 5 MiB-part multipart
def test_key_mode_transfers_end_at_the_whole_size(env, annex_dir, s3_server, bucket_name,
                                                  tmp_path, size):
    annex = started(env, annex_dir, {"bucket": bucket_name, "endpoint": s3_server.endpoint,
                                     "partsize": "5MiB"})
    data = os.urandom(size)
    key = annex_key(data)
    source = tmp_path / "source"
    source.write_bytes(data)
    ends_with_full_size(annex.transcript(f"TRANSFER STORE {key} {source}"), size,
                        f"TRANSFER-SUCCESS STORE {key}")
    target = tmp_path / "target"
    ends_with_full_size(annex.transcript(f"TRANSFER RETRIEVE {key} {target}"), size,
                        f"TRANSFER-SUCCESS RETRIEVE {key}")
    assert target.read_bytes() == data


def test_export_mode_transfers_end_at_the_whole_size(env, annex_dir, s3_server, bucket_name,
                                                     tmp_path):
    annex = started(env, annex_dir, {"bucket": bucket_name, "endpoint": s3_server.endpoint,
                                     "exporttree": "yes"})
    data = os.urandom(300_000)
    key = annex_key(data)
    source = tmp_path / "source"
    source.write_bytes(data)
    annex.send("EXPORT dir/file.bin")
    ends_with_full_size(annex.transcript(f"TRANSFEREXPORT STORE {key} {source}"),
                        len(data), f"TRANSFER-SUCCESS STORE {key}")
    target = tmp_path / "target"
    annex.send("EXPORT dir/file.bin")
    ends_with_full_size(annex.transcript(f"TRANSFEREXPORT RETRIEVE {key} {target}"),
                        len(data), f"TRANSFER-SUCCESS RETRIEVE {key}")
    assert target.read_bytes() == data
