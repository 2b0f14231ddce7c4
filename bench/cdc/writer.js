'use strict';
// Writer process: paced single-row autocommit INSERTs over one or more node-postgres connections.
// Each connection runs a closed loop against its own schedule (start + k / perConnRate): it waits for the due time,
// stamps sent_at_ns, sends the INSERT and waits for the commit before the next row. A connection that falls behind
// sends immediately, so "achieved tx/s" shows when the database (or this process) cannot keep the target rate.
// Two tables: bench(room, ...) — rows go to the rooms round-robin — and, when `users` is given, owned(user_id, ...)
// — rows go to user-0 .. user-(users-1) round-robin, so every user gets the same share.
const { Client } = require('pg');
const { Hist, nowUs } = require('./lib/hist');

let clients = [];
let dbUrl = null;

async function ensureClients(n) {
  while (clients.length < n) {
    const c = new Client({ connectionString: dbUrl });
    await c.connect();
    await c.query('SET synchronous_commit = on');
    clients.push(c);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function run({ rate, durationMs, conns, rooms, users, padBytes }) {
  await ensureClients(conns);
  const pad = 'x'.repeat(padBytes);
  const perConn = rate / conns;
  const intervalUs = 1e6 / perConn;
  const owned = users > 0;
  const keys = owned ? users : rooms;
  const keyCounts = new Array(keys).fill(0);
  const sql = owned ? 'INSERT INTO owned(user_id, sent_at_ns, pad) VALUES ($1, $2, $3)' : 'INSERT INTO bench(room, sent_at_ns, pad) VALUES ($1, $2, $3)';
  const commitHist = new Hist();
  let committed = 0;
  let errors = 0;
  let firstError = null;
  const cpu0 = process.cpuUsage();
  const startUs = nowUs() + 20000; // common start 20 ms from now
  const endUs = startUs + durationMs * 1000;
  let seq = 0;
  const loop = async (c, k) => {
    // stagger connections over one interval
    let due = startUs + (k * intervalUs) / conns;
    for (;;) {
      const now = nowUs();
      if (due >= endUs) break;
      if (due - now > 500) {
        // timers have ~1 ms granularity: sleep when more than 0.5 ms early, never spin (the core is shared)
        await sleep(Math.max(1, Math.round((due - now) / 1000)));
      }
      const key = seq++ % keys;
      const sentUs = nowUs();
      const sentNs = (BigInt(Math.round(sentUs)) * 1000n).toString();
      try {
        await c.query(sql, [owned ? `user-${key}` : key, sentNs, pad]);
        const doneUs = nowUs();
        commitHist.add(doneUs - sentUs);
        committed++;
        keyCounts[key]++;
      } catch (e) {
        errors++;
        if (!firstError) firstError = e.message;
      }
      due += intervalUs;
    }
  };
  await Promise.all(clients.slice(0, conns).map((c, k) => loop(c, k)));
  const stopUs = nowUs();
  const cpu = process.cpuUsage(cpu0);
  return {
    committed,
    errors,
    firstError,
    roomCounts: owned ? null : keyCounts,
    userCounts: owned ? keyCounts : null,
    startUs,
    stopUs,
    achievedTps: committed / ((stopUs - startUs) / 1e6),
    commitHist: commitHist.toJSON(),
    cpuPct: ((cpu.user + cpu.system) / (stopUs - startUs)) * 100,
  };
}

async function bulk({ rows, rooms, padBytes }) {
  await ensureClients(1);
  const c = clients[0];
  const sentUs = nowUs();
  const sentNs = (BigInt(Math.round(sentUs)) * 1000n).toString();
  const r = await c.query(
    `INSERT INTO bench(room, sent_at_ns, pad) SELECT g % ${rooms}, $1, repeat('x', ${padBytes}) FROM generate_series(1, ${rows}) g`,
    [sentNs]);
  const commitUs = nowUs();
  return { rows: r.rowCount, sentUs, commitUs };
}

process.on('message', async (m) => {
  try {
    if (m.cmd === 'init') {
      dbUrl = m.dbUrl;
      process.send({ id: m.id, ok: true, pid: process.pid });
    } else if (m.cmd === 'run') {
      process.send({ id: m.id, ok: true, ...(await run(m)) });
    } else if (m.cmd === 'bulk') {
      process.send({ id: m.id, ok: true, ...(await bulk(m)) });
    } else if (m.cmd === 'exit') {
      await Promise.all(clients.map((c) => c.end().catch(() => {})));
      process.send({ id: m.id, ok: true }, () => process.exit(0));
    }
  } catch (e) {
    process.send({ id: m.id, ok: false, error: String(e && e.stack || e) });
  }
});
process.on('disconnect', () => process.exit(0));
