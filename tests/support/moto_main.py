"""moto's server (as ``python -m moto.server`` serves it) on 127.0.0.1 at a port the kernel
picks: it writes that port as its first stdout line once it listens, then nothing more.

No port is chosen before the server binds it, so servers started at once (one per
pytest-xdist worker, or next to another user's) never meet on one port. SIGTERM stops it.

``--fill BUCKET PREFIX COUNT SIZE`` creates the bucket and its ``COUNT`` objects of ``SIZE``
bytes in moto's own backend, in this process, before the port is written (``fill_names``;
the import bench: a million PUTs over HTTP would take hours, this takes seconds), and makes
this server answer ListObjectsV2 in O(page), as AWS does, not in moto's O(bucket) per page
(moto_listing.py: bench only; the suite's servers never fill).
"""

from __future__ import annotations

import os
import signal
import sys

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server


def fill_names(prefix: str, count: int) -> list[str]:
    """The objects ``--fill`` makes: ``PREFIX dNN/fNNNNNN.bin``, in 100 folders."""
    return [f"{prefix}d{number % 100:02d}/f{number:06d}.bin" for number in range(count)]


def fill_body(number: int, size: int) -> bytes:
    """Object ``number``'s bytes: its number, repeated (every object differs)."""
    return number.to_bytes(8, "big") * (size // 8)


def fill(bucket: str, prefix: str, count: int, size: int) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    backend = s3_backends[DEFAULT_ACCOUNT_ID]["global"]
    backend.create_bucket(bucket, "us-east-1")
    for number, name in enumerate(fill_names(prefix, count)):
        backend.put_object(bucket, name, fill_body(number, size), disable_notification=True)


def main() -> None:
    if sys.argv[1:2] == ["--fill"]:
        from moto_listing import install

        bucket, prefix, count, size = sys.argv[2:6]
        fill(bucket, prefix, int(count), int(size))
        install()  # after the fill: the first listing sorts the names once
    app = DomainDispatcherApplication(create_backend_app)
    app.debug = True  # as moto.server sets it: errors answer with their traceback
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    os.environ["MOTO_PORT"] = str(server.port)  # moto.server exports its port the same way
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(server.port, flush=True)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # nobody reads stdout from here on
    server.serve_forever()


if __name__ == "__main__":
    main()
