#!/usr/bin/env node
// An arbitrage-style agent speaking the swarm-test agent protocol (PROTOCOL.md), version 1.
//
// Node standard library only (no npm packages). It buys below the average of the last closes
// and sells above it, with a limit at the current price, and votes the same way. Every answer
// depends only on what it was sent, so a mock run with it is deterministic.
//
//     #[swarm_test(program = "node examples/agents/arb.js", ...)]
'use strict';

const readline = require('node:readline');

const PROTOCOL = 1;
const LOOKBACK = 16;
const EDGE = 0.0003; // 3 bps
const QUANTITY = 5;

function gap(quote) {
  const history = quote.history.slice(-LOOKBACK);
  if (history.length < 2) return 0;
  const mean = history.reduce((a, b) => a + b, 0) / history.length;
  return (quote.mid - mean) / mean;
}

function side(quote) {
  const g = gap(quote);
  if (g < -EDGE) return 'buy';
  if (g > EDGE) return 'sell';
  return 'hold';
}

function answer(request) {
  const id = request.id;
  switch (request.type) {
    case 'hello':
      return { type: 'ready', id, protocol: PROTOCOL, capabilities: ['trade_execution', 'arbitrage'] };
    case 'trade': {
      const quote = request.market[request.symbol];
      if (!quote) return { type: 'error', id, message: `no price for ${request.symbol}` };
      const action = side(quote);
      if (action === 'hold') return { type: 'decision', id, action };
      const limit = Math.round(quote.mid * 100) / 100;
      return { type: 'decision', id, action, symbol: request.symbol, quantity: QUANTITY, limit };
    }
    case 'vote': {
      const quote = request.market[request.proposal.symbol];
      return { type: 'ballot', id, vote: quote ? side(quote) : 'hold' };
    }
    default: // start, message, timer, stop
      return { type: 'done', id };
  }
}

const lines = readline.createInterface({ input: process.stdin, terminal: false });
lines.on('line', (line) => {
  const request = JSON.parse(line);
  if (request.type === 'shutdown') {
    lines.close();
    return;
  }
  process.stdout.write(JSON.stringify(answer(request)) + '\n');
});
lines.on('close', () => process.exit(0));
