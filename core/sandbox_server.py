"""The sandbox's moto server in its own process: `python -m core.sandbox_server PORT`.

In its own process the server's work (parsing requests, moto's backends) runs on
another core than the console's, instead of taking turns with it for the GIL, and
every sandbox starts from empty accounts. The protocol with the parent is a line
and a pipe: the child binds 127.0.0.1:PORT (the parent picked a free one), imports
the backends the sandbox uses, prints `ready <port>`, then serves until its stdin
closes, which is when the parent stops it or dies (so no server outlives its console).
With `--detached` (`depllc sandbox up`) it serves in its own session until SIGTERM
(`depllc sandbox down`): the lasting sandbox's AWS side.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

# The services the sandbox provisions: imported before `ready`, so the first
# request to each does not wait for moto to load its backend.
WARM_BACKENDS = ("moto.s3.models", "moto.ses.models", "moto.sqs.models", "moto.sns.models")


def main() -> None:
    import importlib

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    args = sys.argv[1:]
    detached = "--detached" in args
    port = int(args[0]) if args and args[0].isdigit() else 0  # 0: any free port
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    for name in WARM_BACKENDS:
        importlib.import_module(name)
    _host, port = server.get_host_and_port()  # the one bound when asked for 0
    sys.stdout.write(f"ready {port}\n")
    sys.stdout.flush()
    if detached:
        os.close(sys.stdout.fileno())  # the parent stops reading once it is ready
        threading.Event().wait()  # until SIGTERM, whose default action ends the process
    sys.stdin.read()  # returns at EOF: the parent closed the pipe or is gone
    os._exit(0)  # the server thread is a daemon; nothing to flush


if __name__ == "__main__":
    main()
