#!/usr/bin/env python3
"""An agent program that breaks the swarm-test agent protocol on purpose, for the project's own
tests of what a violation looks like. The first argument says how:

- bad-json: answers its first trade with a line that is not JSON;
- unknown: answers its first trade with a message type the protocol does not have;
- wrong-version: states protocol version 99 in its handshake;
- silent: never answers its first trade;
- exit: exits (status 3) when its first trade arrives.

Otherwise it holds on every trade, like a well-behaved program.
"""
import json
import sys
import time

HOW = sys.argv[1] if len(sys.argv) > 1 else ""


def send(obj):
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


for line in sys.stdin:
    request = json.loads(line)
    kind = request["type"]
    if kind == "shutdown":
        break
    rid = request["id"]
    if kind == "hello":
        version = 99 if HOW == "wrong-version" else 1
        send({"type": "ready", "id": rid, "protocol": version, "capabilities": ["trade_execution"]})
    elif kind == "trade":
        if HOW == "bad-json":
            sys.stdout.write('{"type":"decision","id":%d,"action":"buy",\n' % rid)
            sys.stdout.flush()
        elif HOW == "unknown":
            send({"type": "order", "id": rid, "side": "buy"})
        elif HOW == "silent":
            print("broken.py: going quiet", file=sys.stderr, flush=True)
            time.sleep(3600)
        elif HOW == "exit":
            print("broken.py: exiting on purpose", file=sys.stderr, flush=True)
            sys.exit(3)
        else:
            send({"type": "decision", "id": rid, "action": "hold"})
    elif kind == "vote":
        send({"type": "ballot", "id": rid, "vote": "hold"})
    else:
        send({"type": "done", "id": rid})
