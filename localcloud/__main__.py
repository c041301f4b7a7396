"""``python -m localcloud [--world FILE] [--port N] [--seed N]``: serve the local cloud on 127.0.0.1.

Prints one JSON line naming every endpoint and the demo credentials, then serves until
interrupted (Ctrl-C or SIGTERM).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from localcloud.cloud import LocalCloud


def main(argv: list[str] | None = None) -> int:
    """Run the local cloud in the foreground."""
    parser = argparse.ArgumentParser(prog="python -m localcloud", description=__doc__.splitlines()[0])
    parser.add_argument("--world", help="YAML world file to seed the state (default: the demo world)")
    parser.add_argument("--port", type=int, default=0, help="OpenAPI port (default: an ephemeral port)")
    parser.add_argument("--seed", type=int, default=0, help="seed for random fault injection")
    args = parser.parse_args(argv)
    try:
        cloud = LocalCloud.from_world_file(args.world, seed=args.seed)
        cloud.start(port=args.port)
    except (OSError, ValueError) as exc:
        print(f"localcloud: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(cloud.endpoints()), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        cloud.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
