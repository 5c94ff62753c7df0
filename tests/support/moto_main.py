"""moto's server (as ``python -m moto.server`` serves it) on 127.0.0.1 at a port the kernel
picks: it writes that port as its first stdout line once it listens, then nothing more.

No port is chosen before the server binds it, so servers started at once (one per
pytest-xdist worker, or next to another user's) never meet on one port. SIGTERM stops it.
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


def main() -> None:
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
