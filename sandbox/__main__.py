"""python -m sandbox --seed FILE [--port N] [--ready-file PATH] [--state-dir DIR]"""
from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading

from .server import create_sandbox, ready_info


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="Local Entra / Graph / Exchange sandbox.")
    parser.add_argument("--seed", required=True, help="YAML seed file")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 picks a free one)")
    parser.add_argument("--ready-file", help="also write the ready JSON here")
    parser.add_argument("--state-dir", help="where the CA and server certificate go (default: a temp dir)")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser.parse_args(argv)


def write_atomically(path: str, text: str) -> None:
    """Readers polling for the file never see it half-written."""
    partial = f"{path}.partial"
    with open(partial, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(partial, path)


def main(argv=None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="sandbox %(levelname)s %(message)s")
    server = create_sandbox(args.seed, port=args.port, state_dir=args.state_dir)
    ready = json.dumps(ready_info(server))
    if args.ready_file:
        write_atomically(args.ready_file, ready + "\n")
    print(ready, flush=True)
    # serve_forever runs in this thread, so shutdown() must be called from another one.
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
