'use strict';
// "authorised" scenario of the postgres_changes benchmark: 3,000 subscribers (300 users × 10 connections, role
// authenticated, sub user-N) on one table without a filter, so only authorisation decides who receives a row.
//
//   node authorised.js run     — one mode against a running Herald (started by run.sh): MODE=policy (in-engine row
//                                policy user_id = sub, from HERALD_POLICY_FILE) or MODE=rls (PostgreSQL RLS, no Herald
//                                row policy). Appends a meta line and one line per step to <OUT>-authorised.jsonl.
//   node authorised.js report  — renders <OUT>-authorised.md from that file (both modes) and prints it.
const { fork } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Client } = require('pg');
const { SignJWT } = require('jose');
const { Hist, nowUs } = require('./lib/hist');
const proc = require('./lib/proc');
const { rpc, childrenOf, affinity, cpuPct } = proc;

const env = (k, d) => (process.env[k] === undefined || process.env[k] === '' ? d : process.env[k]);
const num = (k, d) => Number(env(k, d));
const QUICK = env('QUICK', '0') === '1';

const MODES = {
  policy: {
    title: 'A — in-engine row policy',
    how: 'Herald row policy from `HERALD_POLICY_FILE`: `{"rows":[{"table":"public.owned","column":"user_id","claim":"sub"}]}`; no RLS on the table',
    steps: '250,500,750,1000,1500,2000,3000,4000,5000',
  },
  rls: {
    title: 'B — PostgreSQL RLS',
    how: "no Herald row policy; `ALTER TABLE owned ENABLE ROW LEVEL SECURITY; CREATE POLICY own ON owned FOR SELECT TO authenticated USING (user_id = auth.jwt()->>'sub')` — Herald asks PostgreSQL once per distinct (role, claims) group per change",
    // each change costs one PostgreSQL transaction per user here (300): the ramp starts far lower
    steps: '10,20,50,100,200,500,1000,2000,4000,5000',
  },
};

// not part of the runs: a self-check of the leak counter (no policy, no RLS: every subscriber receives every row)
MODES.open = { title: 'open (leak-counter self-check)', how: 'no Herald row policy and no RLS: every row reaches every subscriber', steps: '50' };

const cfg = {
  mode: env('MODE', 'policy'),
  httpUrl: env('HERALD_URL', 'http://127.0.0.1:4000'),
  heraldPid: Number(env('HERALD_PID', '0')),
  heraldLog: env('HERALD_LOG', ''),
  gcLog: env('HERALD_GC_LOG', ''),
  pgUrl: env('PG_URL', 'postgresql://postgres:postgres@127.0.0.1:5432/postgres'),
  pgData: env('PG_DATA', ''),
  jwtSecret: env('JWT_SECRET', ''),
  out: env('OUT', path.join(__dirname, '..', 'results', 'cdc-manual')),
  pinning: env('PINNING', 'unknown'),
  users: num('AUTH_USERS', 300),
  connsPerUser: num('AUTH_CONNS_PER_USER', 10),
  subProcs: num('AUTH_SUB_PROCS', 3),
  padBytes: num('PAD_BYTES', 100),
  warmupS: num('AUTH_WARMUP_S', QUICK ? 3 : 8),
  stepS: num('AUTH_STEP_S', QUICK ? 4 : 10),
  p95LimitMs: num('AUTH_P95_LIMIT_MS', 250),
  drainCapS: num('AUTH_DRAIN_CAP_S', 20),
  deadlineS: num('AUTH_DEADLINE_S', QUICK ? 90 : 150), // no step starts after this many seconds (run.sh sets it)
};
cfg.steps = env(cfg.mode === 'rls' ? 'AUTH_STEPS_RLS' : cfg.mode === 'policy' ? 'AUTH_STEPS_POLICY' : 'AUTH_STEPS_OPEN', (MODES[cfg.mode] || MODES.policy).steps).split(',').map(Number);
const jsonlFile = cfg.out + '-authorised.jsonl';
const mdFile = cfg.out + '-authorised.md';

const T0 = Date.now();
const overDeadline = () => (Date.now() - T0) / 1000 > cfg.deadlineS;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.log(`[authorised/${cfg.mode} +${((Date.now() - T0) / 1000).toFixed(1)}s]`, ...a);

const children = [];
function spawn(file) {
  const c = fork(path.join(__dirname, file), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(c);
  return c;
}
function killChildren() {
  for (const c of children) if (c.exitCode === null && c.pid) { try { process.kill(c.pid, 'SIGKILL'); } catch (_) { /* gone */ } }
}
process.on('exit', killChildren);
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => { killChildren(); process.exit(130); });
const cpuSnap = () => proc.cpuSnap(cfg.heraldPid, cfg.pgData, [process.pid, ...children.map((c) => c.pid)]);

let pg;
let subs = [];
let writer;

const userOf = (idx) => idx % cfg.users; // a user's connections are spread over the subscriber processes

async function slotLag() {
  try {
    const r = await pg.query("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint AS lag FROM pg_replication_slots WHERE slot_name = 'herald'");
    return r.rows.length ? Number(r.rows[0].lag) : null;
  } catch (e) { return null; }
}
async function maxId() {
  const r = await pg.query('SELECT coalesce(max(id), 0)::bigint AS m FROM owned');
  return Number(r.rows[0].m);
}
// waits until `expected` deliveries arrived, or no change frame at all (also of earlier steps' rows) arrived for
// stallMs, or capMs passed
async function drain(expected, stallMs, capMs) {
  const t0 = Date.now();
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const rs = await Promise.all(subs.map((w) => rpc(w, { cmd: 'count' })));
    const d = rs.reduce((a, r) => a + r.delivered, 0);
    const seen = rs.reduce((a, r) => a + r.seen, 0);
    if (d >= expected) return { complete: true, waitedMs: Date.now() - t0 };
    if (seen !== last) { last = seen; lastChange = Date.now(); }
    if (Date.now() - lastChange > stallMs) return { complete: false, stalled: true, waitedMs: Date.now() - t0 };
    if (Date.now() - t0 > capMs) return { complete: false, stalled: false, waitedMs: Date.now() - t0 };
    await sleep(100);
  }
}

async function step(name, rate, seconds, record) {
  const baseId = await maxId();
  const ph = await Promise.all(subs.map((w) => rpc(w, { cmd: 'phase', name, baseId })));
  const open = ph.flatMap((r) => r.open);
  const openPerUser = new Array(cfg.users).fill(0);
  for (const idx of open) openPerUser[userOf(idx)]++;
  const lagSamples = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) { await sleep(1000); if (sampling) lagSamples.push(await slotLag()); }
  })();
  const gc0 = proc.gcPauses(cfg.gcLog).length;
  const c0 = cpuSnap();
  const conns = Math.min(16, Math.max(1, Math.ceil(rate / 500)));
  const w = await rpc(writer, { cmd: 'run', rate, durationMs: seconds * 1000, conns, users: cfg.users, padBytes: cfg.padBytes }, (seconds + 120) * 1000);
  const c1 = cpuSnap();
  sampling = false;
  await sampler;
  let expected = 0;
  for (let u = 0; u < cfg.users; u++) expected += w.userCounts[u] * openPerUser[u];
  const dr = await drain(expected, 3000, cfg.drainCapS * 1000);
  const lagAfter = await slotLag();
  const rs = await Promise.all(subs.map((x) => rpc(x, { cmd: 'report' })));
  const hist = new Hist();
  const a = { delivered: 0, dup: 0, stale: 0, leaks: 0, leakSamples: [], noOwner: 0, malformed: 0, lastUs: null, open: 0, closeCodes: {}, sysErrors: [] };
  let connsShort = 0;
  let connsOver = 0;
  for (const r of rs) {
    a.open += r.open;
    for (const [k, v] of Object.entries(r.closeCodes)) a.closeCodes[k] = (a.closeCodes[k] || 0) + v;
    a.sysErrors.push(...r.sysErrors);
    for (const [idx, count] of r.perConn) {
      const want = w.userCounts[userOf(idx)];
      if (count < want) connsShort++;
      else if (count > want) connsOver++;
    }
    const p = r.phase;
    if (!p) continue;
    hist.merge(p.hist);
    a.delivered += p.delivered;
    a.dup += p.dup;
    a.stale += p.stale;
    a.leaks += p.leaks;
    a.noOwner += p.noOwner;
    a.malformed += p.malformed;
    a.leakSamples.push(...p.leakSamples);
    if (p.lastUs !== null && (a.lastUs === null || p.lastUs > a.lastUs)) a.lastUs = p.lastUs;
  }
  const lat = hist.summaryMs();
  const lost = expected - a.delivered;
  const rec = {
    type: 'result',
    mode: cfg.mode,
    scenario: name,
    subscribers: open.length,
    users: cfg.users,
    target_tps: rate,
    writer_conns: conns,
    seconds,
    achieved_tps: Math.round(w.achievedTps),
    committed: w.committed,
    writer_errors: w.errors,
    writer_first_error: w.firstError,
    expected_deliveries: expected,
    expected_per_row: w.committed ? +(expected / w.committed).toFixed(3) : null,
    delivered: a.delivered,
    lost,
    loss_pct: expected ? +((lost / expected) * 100).toFixed(3) : 0,
    duplicates: a.dup,
    leaks: a.leaks,
    leak_samples: a.leakSamples.slice(0, 5),
    rows_without_user_id: a.noOwner,
    stale: a.stale,
    malformed: a.malformed,
    conns_short: connsShort,
    conns_over: connsOver,
    authorised_per_s: a.lastUs ? Math.round(a.delivered / ((a.lastUs - w.startUs) / 1e6)) : 0,
    latency_ms: lat,
    insert_commit_ms: new Hist().merge(w.commitHist).summaryMs(),
    drain_ms: a.lastUs ? Math.max(0, Math.round((a.lastUs - w.stopUs) / 1000)) : null,
    drain_complete: dr.complete,
    drain_stalled: !!dr.stalled,
    slot_lag_bytes_max: lagSamples.filter((x) => x !== null).reduce((m, x) => Math.max(m, x), 0),
    slot_lag_bytes_after_drain: lagAfter,
    cpu_pct: cpuPct(c0, c1),
    writer_cpu_pct: Math.round(w.cpuPct),
    herald_gc: proc.gcSince(cfg.gcLog, gc0),
    open_connections_after: a.open,
    close_codes: a.closeCodes,
    system_errors: a.sysErrors.slice(0, 5),
  };
  const reasons = [];
  if (rec.achieved_tps < 0.95 * rate) reasons.push(`writer reached ${rec.achieved_tps} of ${rate} tx/s`);
  if (!dr.complete) reasons.push(`${lost} deliveries missing ${Math.round(dr.waitedMs / 1000)} s after the writer stopped${dr.stalled ? ' (stalled)' : ''}`);
  else if (lost > 0) reasons.push(`${lost} deliveries missing`);
  if (lat.p95 === null || lat.p95 > cfg.p95LimitMs) reasons.push(`p95 ${lat.p95} ms > ${cfg.p95LimitMs} ms`);
  if (a.leaks) reasons.push(`${a.leaks} LEAKS`);
  rec.ok = reasons.length === 0;
  rec.fail_reasons = reasons;
  log(`${name}: ${rec.achieved_tps} tx/s, ${rec.delivered}/${expected} delivered (${rec.expected_per_row}/row), leaks ${a.leaks}, p50 ${lat.p50} p95 ${lat.p95} p99 ${lat.p99} ms, drain ${rec.drain_ms} ms${dr.complete ? '' : ' INCOMPLETE'}, cpu ${JSON.stringify(rec.cpu_pct)}${rec.ok ? '' : ' — ' + reasons.join('; ')}`);
  if (record) fs.appendFileSync(jsonlFile, JSON.stringify(rec) + '\n');
  return rec;
}

async function run() {
  if (!MODES[cfg.mode]) throw new Error(`MODE must be policy, rls or open, not ${cfg.mode}`);
  const meta = {
    type: 'meta',
    mode: cfg.mode,
    started: new Date().toISOString(),
    git: proc.gitDescribe(),
    cpus: os.cpus().length,
    cpu_model: (os.cpus()[0] || {}).model || '?',
    node: process.versions.node,
    loadavg_at_start: os.loadavg().map((x) => +x.toFixed(2)),
    config: { ...cfg, jwtSecret: undefined, pgUrl: undefined, httpUrl: undefined, heraldLog: undefined, gcLog: undefined, pgData: undefined, out: undefined },
  };
  pg = new Client({ connectionString: cfg.pgUrl });
  await pg.connect();
  await pg.query('DROP TABLE IF EXISTS owned');
  await pg.query('CREATE TABLE owned(id bigserial PRIMARY KEY, user_id text NOT NULL, sent_at_ns bigint, pad text)');
  await pg.query('GRANT SELECT ON owned TO authenticated');
  if (cfg.mode === 'rls') {
    await pg.query('ALTER TABLE owned ENABLE ROW LEVEL SECURITY');
    await pg.query("CREATE POLICY own ON owned FOR SELECT TO authenticated USING (user_id = auth.jwt()->>'sub')");
  }
  for (let i = 0; i < 100; i++) {
    const r = await pg.query("SELECT 1 FROM pg_publication_tables WHERE pubname = 'herald' AND schemaname = 'public' AND tablename = 'owned'");
    if (r.rows.length) break;
    await sleep(200);
  }
  // one token per user, shared by its connections: the claims groups are the users
  const key = new TextEncoder().encode(cfg.jwtSecret);
  const tokens = [];
  for (let u = 0; u < cfg.users; u++) {
    tokens.push(await new SignJWT({ role: 'authenticated', sub: `user-${u}`, aud: 'authenticated', iss: 'herald-bench' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt().setExpirationTime('2h').sign(key));
  }
  const wsUrl = cfg.httpUrl.replace(/^http/, 'ws') + `/realtime/v1/websocket?apikey=${tokens[0]}&vsn=2.0.0`;
  for (let i = 0; i < cfg.subProcs; i++) subs.push(spawn('sub-worker.js'));
  writer = spawn('writer.js');
  await Promise.all(subs.map((w) => rpc(w, { cmd: 'init', url: wsUrl, token: tokens[0] })));
  await rpc(writer, { cmd: 'init', dbUrl: cfg.pgUrl });

  const pm = proc.postmasterPid(cfg.pgData);
  const pgKids = pm ? childrenOf(pm) : [];
  meta.pinning = `${cfg.pinning}; CPU affinity seen: herald ${affinity(cfg.heraldPid)}, postgres ${pm ? affinity(pm) : '?'} (${pgKids.length} children, ${[...new Set(pgKids.map(affinity))].join('/')}), generators ${affinity(process.pid)}`;
  meta.cores = { herald: affinity(cfg.heraldPid), postgres: pm ? affinity(pm) : '?', generator: affinity(process.pid) };
  log(meta.pinning);

  // connect: 3,000 sockets, each joins its own channel with one INSERT binding on owned, no filter
  const n = cfg.users * cfg.connsPerUser;
  const specs = [];
  for (let idx = 0; idx < n; idx++) {
    const u = userOf(idx);
    specs.push({ idx, table: 'owned', topic: `realtime:owned-${idx}`, token: tokens[u], owner: `user-${u}` });
  }
  const t0 = nowUs();
  const parts = subs.map(() => []);
  specs.forEach((s) => parts[s.idx % subs.length].push(s));
  const res = await Promise.all(subs.map((w, i) => rpc(w, { cmd: 'connect', specs: parts[i], concurrency: 20, timeoutMs: 30000 }, 300000)));
  const jh = new Hist();
  let connected = 0;
  let failed = 0;
  const fails = [];
  for (const r of res) {
    connected += r.connected;
    failed += r.failed;
    fails.push(...r.fails);
    for (const ms of r.joinMs) jh.add(ms * 1000);
  }
  meta.join = { wanted: n, connected, failed, fails: fails.slice(0, 5), wall_s: +((nowUs() - t0) / 1e6).toFixed(1), ms: jh.summaryMs() };
  log(`connected ${connected}/${n} in ${meta.join.wall_s} s (join p50 ${meta.join.ms.p50} p99 ${meta.join.ms.p99} ms)`, fails.slice(0, 3));
  fs.mkdirSync(path.dirname(jsonlFile), { recursive: true });
  fs.appendFileSync(jsonlFile, JSON.stringify(meta) + '\n');
  if (connected === 0) throw new Error('no subscriber could join: ' + fails.join('; '));

  const notes = [];
  await step(`warm-up ${cfg.steps[0]} tx/s (discarded)`, cfg.steps[0], cfg.warmupS, false);
  let stopped = null;
  for (const rate of cfg.steps) {
    if (overDeadline()) { notes.push(`deadline: step ${rate} tx/s not run`); stopped = stopped || 'deadline'; break; }
    const r = await step(`${rate} tx/s`, rate, cfg.stepS, true);
    if (!r.ok) { stopped = `stopped after ${rate} tx/s: ${r.fail_reasons.join('; ')}`; break; }
  }
  await Promise.all([...subs, writer].map((w) => rpc(w, { cmd: 'exit' }, 10000).catch(() => {})));
  await pg.end();
  const end = {
    type: 'end',
    mode: cfg.mode,
    finished: new Date().toISOString(),
    stopped: stopped || 'all steps passed',
    notes,
    herald_log: proc.heraldLogFindings(cfg.heraldLog),
    gc: proc.gcFindings(cfg.gcLog),
  };
  fs.appendFileSync(jsonlFile, JSON.stringify(end) + '\n');
  log(end.stopped);
}

// ---- report ------------------------------------------------------------------------------------------------------
const fmt = (x) => (x === null || x === undefined ? '–' : typeof x === 'number' ? x.toLocaleString('en-US') : String(x));
const kb = (b) => (b === null || b === undefined ? '–' : b < 10240 ? `${b} B` : `${Math.round(b / 1024).toLocaleString('en-US')} KB`);

function report() {
  if (!fs.existsSync(jsonlFile)) throw new Error(`no ${jsonlFile}`);
  const lines = fs.readFileSync(jsonlFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const L = [];
  const metas = lines.filter((l) => l.type === 'meta');
  const m0 = metas[0] || {};
  L.push(`# Herald postgres_changes benchmark — authorised delivery — ${m0.started || '?'}`);
  L.push('');
  L.push(`Herald ${m0.git || '?'}, ${m0.cpus}× ${m0.cpu_model}, Node ${m0.node}. ${m0.config ? m0.config.users * m0.config.connsPerUser : '?'} subscribers = ${m0.config ? m0.config.users : '?'} users × ${m0.config ? m0.config.connsPerUser : '?'} connections (role \`authenticated\`, sub \`user-N\`, one token per user), raw \`ws\` vsn 2.0.0 in ${m0.config ? m0.config.subProcs : '?'} processes; each joins its own channel with \`{event:'INSERT', schema:'public', table:'owned'}\` and no filter, so authorisation alone decides delivery. Table \`owned(id bigserial primary key, user_id text not null, sent_at_ns bigint, pad text)\`, ${m0.config ? m0.config.padBytes : '?'}-byte pad, \`GRANT SELECT … TO authenticated\`; rows round-robin over the users, so every row should reach exactly ${m0.config ? m0.config.connsPerUser : '?'} connections. Each mode on a fresh Herald (fresh data directory and embedded PostgreSQL), ${m0.config ? m0.config.warmupS : '?'} s warm-up at the first rate (discarded), then ${m0.config ? m0.config.stepS : '?'} s steps until p95 > ${m0.config ? m0.config.p95LimitMs : '?'} ms, loss, or the writer missing the rate by > 5 %.`);
  L.push('');
  L.push('Latency = subscriber receive time − writer timestamp taken just before sending the INSERT (includes the INSERT/COMMIT round trip). **Leaks** = rows received by a connection whose `sub` differs from the row\'s `user_id` (counted per frame, must be 0). Loss counts deliveries still missing when the drain gave up (nothing new for 3 s, or ' + (m0.config ? m0.config.drainCapS : '?') + ' s after the writer stopped); then the latencies are lower bounds (≥). Authorised deliveries/s = deliveries / (last delivery − writer start). CPU % = share of one core during the writer\'s run; (other) = every other process on the machine meanwhile — on a shared host a high value means the step was disturbed.');
  const best = {};
  for (const mode of ['policy', 'rls', 'open']) {
    const meta = metas.find((x) => x.mode === mode);
    const skipped = lines.find((l) => l.type === 'skipped' && l.mode === mode);
    if (skipped) L.push('', `## Mode ${MODES[mode].title}`, '', `Skipped: ${skipped.why}.`);
    if (!meta) continue;
    const rows = lines.filter((l) => l.type === 'result' && l.mode === mode);
    const end = lines.find((l) => l.type === 'end' && l.mode === mode);
    L.push('');
    L.push(`## Mode ${MODES[mode].title}`);
    L.push('');
    L.push(`${MODES[mode].how}.`);
    L.push(`Cores: ${meta.pinning}. Load average when the mode started: ${(meta.loadavg_at_start || []).join(' / ')}.`);
    L.push(`Joins: ${fmt(meta.join.connected)} / ${fmt(meta.join.wanted)} in ${meta.join.wall_s} s (p50 ${meta.join.ms.p50} / p99 ${meta.join.ms.p99} ms)${meta.join.failed ? `, ${meta.join.failed} failed: ${meta.join.fails.join('; ')}` : ''}.`);
    L.push('');
    L.push('| target tx/s | achieved tx/s | authorised deliveries/s | delivered / expected (per row) | loss | LEAKS | p50 ms | p95 ms | p99 ms | max ms | commit p50/p99 ms | drain ms | slot lag max → after | CPU % herald / pg / gen (other) | GC ms | ok |');
    L.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|');
    for (const r of rows) {
      const l = r.latency_ms;
      const ge = r.drain_complete ? '' : '≥ ';
      L.push(`| ${fmt(r.target_tps)} | ${fmt(r.achieved_tps)} | ${fmt(r.authorised_per_s)} | ${fmt(r.delivered)} / ${fmt(r.expected_deliveries)} (${fmt(r.expected_per_row)}) | ${r.lost ? `**${fmt(r.lost)} (${r.loss_pct}%)**` : '0'}${r.duplicates ? `, ${r.duplicates} dup` : ''} | ${r.leaks ? `**${fmt(r.leaks)}**` : '0'} | ${ge}${fmt(l.p50)} | ${ge}${fmt(l.p95)} | ${ge}${fmt(l.p99)} | ${ge}${fmt(l.max)} | ${fmt(r.insert_commit_ms.p50)} / ${fmt(r.insert_commit_ms.p99)} | ${fmt(r.drain_ms)}${r.drain_complete ? '' : ' (gave up)'} | ${kb(r.slot_lag_bytes_max)} → ${kb(r.slot_lag_bytes_after_drain)} | ${r.cpu_pct.herald} / ${r.cpu_pct.postgres} / ${r.cpu_pct.generator} (${fmt(r.cpu_pct.other)}) | ${fmt(r.herald_gc.total_ms)} | ${r.ok ? 'yes' : '**no**'} |`);
    }
    const okRows = rows.filter((r) => r.ok);
    const b = okRows.length ? okRows.reduce((x, y) => (y.authorised_per_s > x.authorised_per_s ? y : x)) : null;
    best[mode] = b;
    L.push('');
    L.push(b
      ? `**Best step with p95 ≤ ${m0.config.p95LimitMs} ms**: ${fmt(b.achieved_tps)} tx/s → **${fmt(b.authorised_per_s)} authorised msgs/s**, p95 ${b.latency_ms.p95} ms, no loss, ${b.leaks} leaks.`
      : `**Best step with p95 ≤ ${m0.config.p95LimitMs} ms**: none — not even the first step (${fmt(rows[0] && rows[0].target_tps)} tx/s) passed.`);
    const leaks = rows.reduce((a, r) => a + r.leaks, 0);
    L.push(`Leaks over all steps: **${fmt(leaks)}**${leaks ? ` — e.g. ${JSON.stringify(rows.flatMap((r) => r.leak_samples).slice(0, 3))}` : ''}. ${end ? `Ramp ${end.stopped}.` : 'Mode did not finish (no end record).'}`);
    const closes = {};
    for (const r of rows) for (const [k, v] of Object.entries(r.close_codes || {})) closes[k] = (closes[k] || 0) + v;
    const sysErr = [...new Set(rows.flatMap((r) => r.system_errors || []))];
    L.push(`Unexpected closes: ${Object.keys(closes).length ? Object.entries(closes).map(([k, v]) => `${v}× ${k}`).join(', ') : 'none'}${sysErr.length ? `; system errors: ${sysErr.join('; ')}` : ''}.`);
    if (end && end.gc) L.push(`Herald GC (${end.gc.collector}): ${fmt(end.gc.pauses)} pauses, ${fmt(end.gc.total_ms)} ms, longest ${end.gc.max_ms} ms.`);
    if (end && end.herald_log) {
      L.push(`Herald log until the end of the ramp: ${fmt(end.herald_log.warn_error_lines)} WARN/ERROR lines${end.herald_log.distinct.length ? ':' : '.'}`);
      for (const d of end.herald_log.distinct) L.push(`- ${d.n}× \`${d.msg.replace(/`/g, "'")}\``);
    }
    // the copy run.sh keeps after stopping Herald (SIGTERM) also holds the shutdown
    const whole = proc.heraldLogFindings(`${cfg.out}-authorised-${mode}-herald.log`);
    if (whole && (!end || !end.herald_log || whole.warn_error_lines !== end.herald_log.warn_error_lines)) {
      L.push(`Herald log including its shutdown (SIGTERM from run.sh): ${fmt(whole.warn_error_lines)} WARN/ERROR lines${whole.distinct.length ? ':' : '.'}`);
      for (const d of whole.distinct) L.push(`- ${d.n}× \`${d.msg.replace(/`/g, "'")}\``);
    }
    for (const n of (end && end.notes) || []) L.push(`- note: ${n}`);
  }
  L.push('');
  L.push('## Summary');
  L.push('');
  const cores = (metas[0] || {}).cores;
  if (cores) L.push(`Cores: Herald on core ${cores.herald}, PostgreSQL on core ${cores.postgres}, load generators (writer, subscribers, coordinator) on core ${cores.generator}.`);
  for (const mode of ['policy', 'rls', 'open']) {
    if (!(mode in best)) continue;
    const b = best[mode];
    const rowsM = lines.filter((l) => l.type === 'result' && l.mode === mode);
    const fail = rowsM.find((r) => !r.ok);
    L.push(`- Mode ${MODES[mode].title}: ${b ? `best step with p95 ≤ ${m0.config.p95LimitMs} ms = **${fmt(b.authorised_per_s)} authorised msgs/s** (${fmt(b.achieved_tps)} tx/s × ${m0.config.connsPerUser}), p50 ${b.latency_ms.p50} / p95 ${b.latency_ms.p95} / p99 ${b.latency_ms.p99} ms — ${(b.authorised_per_s / 3500).toFixed(b.authorised_per_s < 3500 ? 2 : 1)}× the middle of Supabase's 3–4k` : 'no step had p95 ≤ ' + m0.config.p95LimitMs + ' ms'}${fail ? `; ${b ? 'next' : 'first'} step ${fmt(fail.target_tps)} tx/s failed: ${fail.fail_reasons.join('; ')} (CPU % herald / pg / gen ${fail.cpu_pct.herald} / ${fail.cpu_pct.postgres} / ${fail.cpu_pct.generator})` : ''}.`);
  }
  L.push('- Supabase publishes a cap of about **3–4k authorised msgs/s at p95 0.2–0.9 s** for Postgres Changes with RLS (Realtime benchmarks, supabase.com/docs/guides/realtime/benchmarks), on its own hardware; this run is one machine with Herald on one core, so compare orders of magnitude, not digits.');
  L.push('');
  const md = L.join('\n');
  fs.writeFileSync(mdFile, md);
  console.log('\n' + md);
}

const cmd = process.argv[2] || 'run';
(cmd === 'report' ? Promise.resolve().then(report) : run()).then(() => process.exit(0), (e) => { console.error('authorised bench failed:', e && e.stack || e); process.exit(1); });
