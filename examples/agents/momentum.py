#!/usr/bin/env python3
"""A momentum agent speaking the swarm-test agent protocol (PROTOCOL.md), version 1.

Standard library only. It buys when the price is above the average of its last closes by
more than a threshold, sells when it is below, and holds otherwise; it tells its neighbours
what it bought or sold, and counts heartbeats from a timer. Every answer depends only on
what it was sent, so a mock run with it is deterministic.

    #[swarm_test(program = "python3 examples/agents/momentum.py", ...)]
"""
import json
import sys

PROTOCOL = 1
LOOKBACK = 8
THRESHOLD = 0.0005  # 5 bps
QUANTITY = 10


def signal(quote):
    history = quote["history"][-LOOKBACK:]
    if len(history) < 2:
        return "hold"
    mean = sum(history) / len(history)
    change = (quote["mid"] - mean) / mean
    if change > THRESHOLD:
        return "buy"
    if change < -THRESHOLD:
        return "sell"
    return "hold"


def main():
    me = {"neighbours": []}
    heartbeats = 0
    for line in sys.stdin:
        request = json.loads(line)
        kind = request["type"]
        if kind == "shutdown":
            break
        answer = {"type": "done", "id": request["id"]}
        if kind == "hello":
            answer = {
                "type": "ready",
                "id": request["id"],
                "protocol": PROTOCOL,
                "capabilities": ["trade_execution", "momentum_detection"],
            }
        elif kind == "start":
            me = request["agent"]
            answer["timers"] = [{"after_ms": 250, "tag": "heartbeat"}]
        elif kind == "trade":
            symbol = request["symbol"]
            quote = request["market"].get(symbol)
            if quote is None:
                answer = {"type": "error", "id": request["id"], "message": "no price for " + symbol}
            else:
                action = signal(quote)
                answer = {"type": "decision", "id": request["id"], "action": action}
                if action != "hold":
                    answer["symbol"] = symbol
                    answer["quantity"] = QUANTITY
                    if me["neighbours"]:
                        answer["send"] = [
                            {"to": me["neighbours"][0], "payload": {"signal": action, "symbol": symbol}}
                        ]
        elif kind == "vote":
            quote = request["market"].get(request["proposal"]["symbol"])
            vote = signal(quote) if quote else "hold"
            answer = {"type": "ballot", "id": request["id"], "vote": vote}
        elif kind == "timer":
            heartbeats += 1
            if heartbeats < 4:
                answer["timers"] = [{"after_ms": 250, "tag": "heartbeat"}]
        elif kind == "stop":
            print("momentum.py: agent %d saw %d heartbeats" % (me.get("id", -1), heartbeats), file=sys.stderr)
        sys.stdout.write(json.dumps(answer, separators=(",", ":")) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
