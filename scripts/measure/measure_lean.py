"""What the lean request path saves, measured on this machine (figures quoted in the
docstrings of store/lean/sigv4.py and store/lean/transport.py).

    .venv/bin/python scripts/measure/measure_lean.py [--requests 200] [--sign 20000]

1. signing alone: botocore's ``S3SigV4Auth.add_auth`` on one prepared ``AWSRequest``, against
   ``sigv4.sign`` with the same inputs (timeit, best of 5);
2. a whole HEAD: ``client.head_object`` against ``LeanS3`` + ``sigv4`` HEAD, both to moto's
   server started in this process (``ThreadedMotoServer``); CPU of the calling thread only
   (``time.thread_time``: the server's threads are not counted) and wall time, per request.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import statistics
import time
import timeit
from datetime import datetime, timezone

KEY, SECRET = "AKIDEXAMPLE", "measure/secret+key"


def signing(number: int) -> tuple[float, float]:
    """(botocore add_auth, sigv4.sign): ms per request."""
    import botocore.auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from git_annex_remote_s3py.store.lean import sigv4

    url = "http://127.0.0.1:9000/my-bucket/ds1/SHA256E-s11--abc.bin"
    request = AWSRequest(method="HEAD", url=url, headers={}, data=b"")
    signer = botocore.auth.S3SigV4Auth(Credentials(KEY, SECRET), "s3", "us-east-1")
    payload = hashlib.sha256(b"").hexdigest()

    def ours() -> None:
        sigv4.sign("HEAD", "127.0.0.1:9000", "/my-bucket/ds1/SHA256E-s11--abc.bin", {}, {},
                   payload, KEY, SECRET, None, "us-east-1", datetime.now(timezone.utc))

    theirs = min(timeit.repeat(lambda: signer.add_auth(request), number=number, repeat=5))
    mine = min(timeit.repeat(ours, number=number, repeat=5))
    return theirs / number * 1e3, mine / number * 1e3


def per_request(call, requests: int) -> tuple[float, float]:
    """(median CPU ms of the calling thread, median wall ms) over ``requests`` calls."""
    call()  # warm: connection, caches
    cpu, wall = [], []
    for _ in range(requests):
        c0, w0 = time.thread_time(), time.perf_counter()
        call()
        cpu.append(time.thread_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(cpu) * 1e3, statistics.median(wall) * 1e3


def whole_heads(requests: int) -> dict[str, tuple[float, float]]:
    import boto3
    from botocore.config import Config
    from moto.server import ThreadedMotoServer

    from git_annex_remote_s3py.store.lean.transport import LeanS3

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                              aws_access_key_id=KEY, aws_secret_access_key=SECRET,
                              config=Config(s3={"addressing_style": "path"}))
        client.create_bucket(Bucket="measure")
        client.put_object(Bucket="measure", Key="k", Body=b"x" * 1000)
        lean = LeanS3(f"{endpoint}/measure", lambda: (KEY, SECRET, None), "us-east-1",
                      timeout=30, connect_timeout=30)

        def lean_head() -> None:
            with lean.exchange("HEAD", "k") as response:
                response.read()
                assert response.status == 200

        results = {}
        for _round in range(2):  # interleaved, the last round kept
            results["botocore head_object"] = per_request(
                lambda: client.head_object(Bucket="measure", Key="k"), requests)
            results["lean HEAD"] = per_request(lean_head, requests)
        return results
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--sign", type=int, default=20000)
    options = parser.parse_args()
    theirs, mine = signing(options.sign)
    print(f"signing: botocore S3SigV4Auth.add_auth {theirs:.3f} ms, sigv4.sign {mine:.3f} ms")
    for name, (cpu, wall) in whole_heads(options.requests).items():
        print(f"{name}: {cpu:.2f} ms CPU (client thread), {wall:.2f} ms wall, median of "
              f"{options.requests}")


if __name__ == "__main__":
    main()
