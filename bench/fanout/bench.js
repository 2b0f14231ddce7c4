'use strict';
// Fan-out (case A) and connection-scale (case B) benchmark coordinator. Started by run.sh once per server, pinned
// to the generator core; forks the generator processes (worker.js), samples the server's CPU and memory from /proc,
// and appends JSON lines to $OUT.jsonl. `node bench.js report` turns that file into $OUT.md.
//
//   node bench.js run <server>     server: herald | herald-shipped | nats | nchan | sio | ws
//   node bench.js report
//
// Environment (set by run.sh): PORT, SERVER_PID, SERVER_LOG, JWT_SECRET (herald), OUT (path prefix of the results),
// plus the knobs documented in README.md.

const fs = require('fs');
const path = require('path');
const { fork, execFileSync } = require('child_process');
const { Hist } = require('./lib/hist');
const { heraldToken } = require('./lib/proto');
const isHerald = (server) => server === 'herald' || server === 'herald-shipped';

const env = (k, d) => (process.env[k] !== undefined && process.env[k] !== '' ? process.env[k] : d);
const num = (k, d) => +env(k, d);
// a list of numbers; "0" (or "none") turns the phase off
const list = (k, d) => String(env(k, d)).split(',').map((s) => s.trim()).filter(Boolean).map(Number).filter((n) => n > 0);

const CFG = {
  subs: num('SUBS', 1000),
  subProcs: num('SUB_PROCS', 2),
  steps: list('STEPS', '10000,25000,50000,100000,150000,200000'),
  stepS: num('STEP_S', 8),
  warmupS: num('WARMUP_S', 8),
  warmupRate: num('WARMUP_RATE', 25000),
  mcChannels: list('MC_CHANNELS', '10,100'),
  mcRate: num('MC_RATE', 50000),
  v1Steps: list('V1_STEPS', '100000'),
  bSteps: list('B_STEPS', '5000,10000,15000'),
  bProcs: num('B_PROCS', 2),
  bConcurrency: num('B_CONCURRENCY', 100),
  bSettleS: num('B_SETTLE_S', 3),
  drainMaxS: num('DRAIN_MAX_S', 8),
  stopP99Ms: num('STOP_P99_MS', 1000),
  capP99Ms: num('CAP_P99_MS', 100),
  cases: String(env('CASES', 'A,B')).toUpperCase(),
  otherLoadPct: num('OTHER_LOAD_PCT', 10),
  retries: num('CONTENDED_RETRIES', 1),
};

// A step is "contended" when a CPU was busier than the benchmark's own processes on it explain: other work on the
// machine (builds, tests, other benchmarks) took CPU from the server or the generator during the step.
function otherLoad(r) {
  if (!r.coreBusyPct) return null;
  const o0 = (r.coreBusyPct.cpu0 ?? 0) - (r.serverCpuPct ?? 0);
  const o1 = (r.coreBusyPct.cpu1 ?? 0) - (r.genCpuPct ?? 0);
  return { cpu0: Math.round(o0), cpu1: Math.round(o1) };
}
const contended = (r) => { const o = otherLoad(r); return !!o && (o.cpu0 > CFG.otherLoadPct || o.cpu1 > CFG.otherLoadPct); };

const OUT = env('OUT', path.join(__dirname, '..', 'results', 'fanout-local'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.timeOrigin + performance.now();
const log = (...a) => console.log(`[fanout ${new Date().toISOString().slice(11, 19)}]`, ...a);

function emit(obj) {
  obj.ts = obj.ts || new Date().toISOString();
  fs.appendFileSync(`${OUT}.jsonl`, JSON.stringify(obj) + '\n');
  return obj;
}

// ---- /proc sampling ----------------------------------------------------------------------------------------------
const CLK_TCK = (() => { try { return +execFileSync('getconf', ['CLK_TCK']).toString().trim() || 100; } catch { return 100; } })();

function statOf(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { ppid: +f[1], ticks: +f[11] + +f[12] };
  } catch { return null; }
}

function procTree(root) {
  const kids = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const st = statOf(d);
    if (!st) continue;
    if (!kids.has(st.ppid)) kids.set(st.ppid, []);
    kids.get(st.ppid).push(+d);
  }
  const out = [];
  const q = [+root];
  while (q.length) {
    const p = q.shift();
    out.push(p);
    for (const c of kids.get(p) || []) q.push(c);
  }
  return out;
}

function ticks(pids) { return pids.reduce((a, p) => a + ((statOf(p) || {}).ticks || 0), 0); }

// Proportional set size (shared pages split between processes; = RSS for a single process with nothing shared)
function memKB(pids) {
  let pss = 0, rss = 0;
  for (const p of pids) {
    try {
      const s = fs.readFileSync(`/proc/${p}/smaps_rollup`, 'utf8');
      pss += +(/^Pss:\s+(\d+)/m.exec(s) || [0, 0])[1];
      rss += +(/^Rss:\s+(\d+)/m.exec(s) || [0, 0])[1];
    } catch {
      try {
        const s = fs.readFileSync(`/proc/${p}/status`, 'utf8');
        const v = +(/^VmRSS:\s+(\d+)/m.exec(s) || [0, 0])[1];
        pss += v; rss += v;
      } catch { /* gone */ }
    }
  }
  return { pss, rss };
}

// resident set size from /proc/<pid>/status: cheap, unlike smaps_rollup, which walks the page tables while holding
// the process's memory map lock (enough to stall a JVM for milliseconds in the middle of a measurement)
function rssKB(pids) {
  let rss = 0;
  for (const p of pids) {
    try { rss += +(/^VmRSS:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8')) || [0, 0])[1]; } catch { /* gone */ }
  }
  return rss;
}

function fdCount(pids) {
  return pids.reduce((a, p) => { try { return a + fs.readdirSync(`/proc/${p}/fd`).length; } catch { return a; } }, 0);
}

function affinity(pid) {
  try { return (/^Cpus_allowed_list:\s+(\S+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8')) || [])[1]; } catch { return null; }
}

// busy share of every CPU from /proc/stat (user+nice+system+irq+softirq+steal over all but idle/iowait): shows
// load from processes that are not part of the benchmark, and kernel time the per-process figures miss
function cpuStat() {
  const out = {};
  for (const l of fs.readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(l);
    if (!m) continue;
    const v = m[2].trim().split(/\s+/).map(Number);
    const idle = v[3] + (v[4] || 0);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    out[m[1]] = { idle, total };
  }
  return out;
}
class CoreMeter {
  constructor() { this.reset(); }
  reset() { this.s = cpuStat(); }
  pct() {
    const e = cpuStat();
    const r = {};
    for (const c of Object.keys(e)) {
      const dt = e[c].total - (this.s[c] || { total: 0 }).total;
      const di = e[c].idle - (this.s[c] || { idle: 0 }).idle;
      r[`cpu${c}`] = dt > 0 ? Math.round((1 - di / dt) * 1000) / 10 : null;
    }
    return r;
  }
}

class CpuMeter {
  constructor(pidsFn) { this.pidsFn = pidsFn; this.reset(); }
  reset() { this.pids = this.pidsFn(); this.t = now(); this.ticks = ticks(this.pids); }
  pct() { const dt = (now() - this.t) / 1000; return dt > 0 ? Math.round(((ticks(this.pids) - this.ticks) / CLK_TCK / dt) * 1000) / 10 : null; }
}

// ---- generator processes -----------------------------------------------------------------------------------------
function spawnWorker(role, extraArgs = []) {
  const cp = fork(path.join(__dirname, 'worker.js'), [role], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: ['--max-old-space-size=4096', ...(process.env.GEN_NODE_ARGS ? process.env.GEN_NODE_ARGS.split(' ') : []), ...extraArgs],
  });
  let seq = 0;
  const pending = new Map();
  cp.on('message', (m) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    clearTimeout(p.t);
    if (m.ok) p.res(m.result); else p.rej(new Error(m.error));
  });
  cp.on('exit', (code) => {
    for (const p of pending.values()) { clearTimeout(p.t); p.rej(new Error(`worker ${role} exited (${code})`)); }
    pending.clear();
  });
  cp.call = (cmd, args = {}, timeoutMs = 180000) => new Promise((res, rej) => {
    const id = ++seq;
    const t = setTimeout(() => { pending.delete(id); rej(new Error(`worker ${role}: ${cmd} timed out`)); }, timeoutMs);
    pending.set(id, { res, rej, t });
    cp.send({ id, cmd, ...args });
  });
  return cp;
}

// ---- servers -----------------------------------------------------------------------------------------------------
const SERVER = {
  herald: { label: 'Herald', proto: 'herald2', v1: 'herald1' },
  // The unpacked archive's bin/herald with its defaults: embedded PostgreSQL, change capture on, no JVM flags.
  'herald-shipped': { label: 'Herald (bin/herald defaults)', proto: 'herald2', v1: 'herald1' },
  nats: { label: 'nats-server (ws)', proto: 'nats' },
  nchan: { label: 'nginx + nchan', proto: 'nchan' },
  sio: { label: 'Socket.IO 4', proto: 'sio' },
  ws: { label: 'ws baseline', proto: 'ws' },
};
const PROTO_LABEL = {
  herald2: 'vsn 2 (binary kind 3 in / kind 4 out)', herald1: 'vsn 1 (JSON objects)', nats: 'NATS text protocol over ws',
  nchan: 'nchan websocket pub/sub', sio: 'socket.io-client, websocket transport', ws: 'raw ws text frames',
};

function heraldMetrics(port) {
  return fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()).then((t) => {
    const m = {};
    for (const line of t.split('\n')) {
      if (!line.startsWith('herald_')) continue;
      const i = line.lastIndexOf(' ');
      const v = +line.slice(i + 1);
      if (v) m[line.slice(0, i)] = v;
    }
    return m;
  }).catch((e) => ({ error: String(e) }));
}

function jvmHeapUsedKB(pid) {
  // full GC, then the used size of every heap space (jstat -gc: S0U S1U EU OU)
  try {
    execFileSync('jcmd', [String(pid), 'GC.run'], { stdio: 'ignore', timeout: 30000 });
    const out = execFileSync('jstat', ['-gc', String(pid)], { timeout: 30000 }).toString().trim().split('\n');
    const h = out[0].trim().split(/\s+/);
    const v = out[1].trim().split(/\s+/);
    const g = (k) => +v[h.indexOf(k)] || 0;
    return Math.round(g('S0U') + g('S1U') + g('EU') + g('OU'));
  } catch { return null; }
}

// ---- case A: fan-out ---------------------------------------------------------------------------------------------
async function fanout(ctx, proto, opts) {
  const { nch, label, steps, warmupS, warmupRate } = opts;
  const channels = Array.from({ length: nch }, (_, c) => `room${c}`);
  const subsPerCh = new Array(nch).fill(0);
  const perProc = Array.from({ length: CFG.subProcs }, () => []);
  for (let j = 0; j < CFG.subs; j++) { subsPerCh[j % nch]++; perProc[j % CFG.subProcs].push(channels[j % nch]); }
  const perMsg = CFG.subs / nch; // deliveries per published message

  log(`${ctx.server} ${label}: opening ${CFG.subs} subscribers (${proto}) over ${nch} channel(s)`);
  const t0 = now();
  const opens = await Promise.all(ctx.subs.map((w, p) => w.call('open', {
    proto, target: ctx.target, channels: perProc[p], localAddress: `127.0.0.${2 + p}`, concurrency: 50,
  })));
  const opened = opens.reduce((a, o) => a + o.opened, 0);
  const failed = opens.reduce((a, o) => a + o.failed, 0);
  if (failed) log(`  ${failed} subscribers failed: ${JSON.stringify(opens.map((o) => o.errors))}`);
  log(`  ${opened} subscribed in ${Math.round(now() - t0)} ms; publisher joining`);
  await ctx.pub.call('open', { proto, target: ctx.target, channels });
  await sleep(500);

  const countsFor = async (step) => (await Promise.all(ctx.subs.map((w) => w.call('counts', { step })))).reduce(
    (a, c) => ({ n: a.n + c.n, closes: a.closes + c.closes.n, codes: { ...a.codes, ...c.closes.codes } }), { n: 0, closes: 0, codes: {} });

  async function runStep(step, rate, seconds, measure) {
    const msgRate = rate / perMsg;
    const before = await countsFor(-1);
    ctx.srvCpu.reset();
    ctx.genCpu.reset();
    const cores = new CoreMeter();
    const tStart = now();
    const r = await ctx.pub.call('run', { step, msgRate, durationMs: seconds * 1000 }, (seconds + 60) * 1000);
    const srvCpu = ctx.srvCpu.pct();
    const genCpu = ctx.genCpu.pct();
    const coreBusy = cores.pct();
    const rss = rssKB(ctx.serverPids());
    const tPubEnd = now();
    const expected = r.sent.reduce((a, s, c) => a + s * subsPerCh[c], 0);
    // drain: until everything arrived, nothing new for 3 s, or DRAIN_MAX_S
    let last = -1, lastChange = now(), c;
    for (;;) {
      c = await countsFor(step);
      if (c.n >= expected) break;
      if (c.n !== last) { last = c.n; lastChange = now(); }
      if (now() - lastChange > 3000 || now() - tPubEnd > CFG.drainMaxS * 1000) break;
      await sleep(100);
    }
    const parts = await Promise.all(ctx.subs.map((w) => w.call('stats', { step })));
    if (!measure) return null;
    const h = new Hist();
    let n = 0, dup = 0, lastRecv = 0;
    for (const p of parts) { n += p.n; dup += p.dup || 0; if (p.hist) h.merge(p.hist); if (p.last > lastRecv) lastRecv = p.last; }
    const lat = h.summary();
    const loss = Math.max(0, expected - (n - dup));
    const res = {
      type: 'fanout', server: ctx.server, label: ctx.label, proto, phase: label, channels: nch, subs: opened,
      subsFailed: failed, offered: rate, msgRate: Math.round(msgRate * 100) / 100, seconds,
      sent: r.total, pubAchievedMsgRate: Math.round(r.achievedRate * 10) / 10, pubMaxLagMs: Math.round(r.maxLagMs),
      pubMaxBuffered: r.maxBuffered,
      expected, delivered: n, duplicates: dup, loss, lossPct: expected ? Math.round((loss / expected) * 1e6) / 1e4 : 0,
      deliveredPerS: lastRecv ? Math.round(n / ((lastRecv - tStart) / 1000)) : 0,
      drainMs: lastRecv ? Math.max(0, Math.round(lastRecv - tPubEnd)) : null,
      ...lat,
      serverCpuPct: srvCpu, genCpuPct: genCpu, coreBusyPct: coreBusy, serverRssMB: Math.round(rss / 102.4) / 10,
      disconnects: c.closes - before.closes, closeCodes: c.closes - before.closes ? c.codes : undefined,
    };
    res.otherLoadPct = otherLoad(res);
    res.contended = contended(res);
    emit(res);
    log(`  ${label} ${rate}/s${res.contended ? ' (contended: other load ' + JSON.stringify(res.otherLoadPct) + ')' : ''}: delivered ${n}/${expected} (${res.deliveredPerS}/s) p50 ${lat.p50} p99 ${lat.p99} p99.9 ${lat.p999} max ${lat.max} ms; `
      + `server CPU ${srvCpu}% gen CPU ${genCpu}% cores busy ${JSON.stringify(coreBusy)}; disconnects ${res.disconnects}`);
    return res;
  }

  let stepId = ctx.nextStep;
  if (warmupS > 0) {
    log(`  warm-up ${warmupS} s at ${warmupRate} deliveries/s`);
    await runStep(stepId++, warmupRate, warmupS, false);
  }
  const results = [];
  for (const rate of steps) {
    let res = await runStep(stepId++, rate, CFG.stepS, true);
    for (let t = 0; t < CFG.retries && res.contended; t++) {
      log(`  repeating the ${rate}/s step: other processes used CPU during it`);
      emit({ type: 'superseded', server: ctx.server, proto, phase: label, offered: rate, stepTs: res.ts });
      res.superseded = true;
      res = await runStep(stepId++, rate, CFG.stepS, true);
    }
    results.push(res);
    if (res.loss > 0 || res.disconnects > 0 || (res.p99 != null && res.p99 > CFG.stopP99Ms) || res.subs < CFG.subs) {
      log(`  stopping the ladder: ${res.loss > 0 ? 'loss' : res.disconnects > 0 ? 'disconnects' : res.subs < CFG.subs ? 'subscribers missing' : 'p99 > ' + CFG.stopP99Ms + ' ms'}`);
      break;
    }
  }
  ctx.nextStep = stepId;
  await Promise.all([ctx.pub.call('close'), ...ctx.subs.map((w) => w.call('close'))]);
  await Promise.all(ctx.subs.map((w) => w.call('clear')));
  await sleep(1000);
  return results;
}

// ---- case B: idle joined connections -----------------------------------------------------------------------------
async function connScale(ctx, proto) {
  const workers = Array.from({ length: CFG.bProcs }, () => spawnWorker('sub'));
  const genPids = () => [process.pid, ...workers.map((w) => w.pid)];
  try {
    await sleep(CFG.bSettleS * 1000);
    const heap0 = ctx.isJvm ? jvmHeapUsedKB(ctx.serverPid) : null;
    await sleep(500);
    const base = memKB(ctx.serverPids());
    const fd0 = fdCount(ctx.serverPids());
    log(`${ctx.server} case B: baseline server memory ${Math.round(base.pss / 1024)} MB (PSS), ${fd0} fds`);
    let total = 0;
    for (const target of CFG.bSteps) {
      const add = target - total;
      if (add <= 0) continue;
      const perProc = Array.from({ length: CFG.bProcs }, () => []);
      for (let j = total; j < target; j++) perProc[j % CFG.bProcs].push(`room${j % 100}`);
      const cpu = new CpuMeter(ctx.serverPids);
      const gcpu = new CpuMeter(genPids);
      const cores = new CoreMeter();
      const t0 = now();
      const rs = await Promise.all(workers.map((w, p) => w.call('open', {
        proto, target: ctx.target, channels: perProc[p], localAddress: `127.0.0.${10 + p}`, concurrency: CFG.bConcurrency,
      }, 600000)));
      const elapsed = now() - t0;
      const srvCpu = cpu.pct();
      const genCpu = gcpu.pct();
      const coreBusy = cores.pct();
      const opened = rs.reduce((a, r) => a + r.opened, 0);
      const failed = rs.reduce((a, r) => a + r.failed, 0);
      const errors = {};
      rs.forEach((r) => Object.entries(r.errors).forEach(([k, v]) => { errors[k] = (errors[k] || 0) + v; }));
      const h = new Hist();
      rs.forEach((r) => h.merge(r.join));
      total += opened;
      await sleep(CFG.bSettleS * 1000);
      const heap = ctx.isJvm ? jvmHeapUsedKB(ctx.serverPid) : null;
      await sleep(500);
      const mem = memKB(ctx.serverPids());
      const fds = fdCount(ctx.serverPids());
      const genMem = memKB(workers.map((w) => w.pid));
      const metrics = ctx.isHerald(server) ? await heraldMetrics(ctx.port) : undefined;
      const js = h.summary();
      const res = {
        type: 'conns', server: ctx.server, label: ctx.label, proto, target, added: add, opened, failed,
        errors: failed ? errors : undefined, total, channels: 100, genProcs: CFG.bProcs, concurrency: CFG.bConcurrency * CFG.bProcs,
        openMs: Math.round(elapsed), joinsPerS: Math.round((opened / elapsed) * 1000),
        joinP50: js.p50, joinP99: js.p99, joinMax: js.max, serverCpuPct: srvCpu, genCpuPct: genCpu, coreBusyPct: coreBusy,
        basePssMB: Math.round(base.pss / 102.4) / 10, pssMB: Math.round(mem.pss / 102.4) / 10, rssMB: Math.round(mem.rss / 102.4) / 10,
        kbPerConn: total ? Math.round(((mem.pss - base.pss) / total) * 10) / 10 : null,
        heapKbPerConn: heap != null && heap0 != null && total ? Math.round(((heap - heap0) / total) * 10) / 10 : undefined,
        heapUsedMB: heap != null ? Math.round(heap / 102.4) / 10 : undefined,
        serverFds: fds, genPssMB: Math.round(genMem.pss / 1024),
        heraldConnections: metrics ? metrics.herald_connections : undefined,
        heraldChannelsJoined: metrics ? metrics.herald_channels_joined : undefined,
      };
      emit(res);
      log(`  ${total} connections (+${opened}, ${failed} failed) in ${res.openMs} ms = ${res.joinsPerS} joins/s; `
        + `join p50 ${js.p50} p99 ${js.p99} ms; server ${res.pssMB} MB = ${res.kbPerConn} KB/conn`
        + `${res.heapKbPerConn !== undefined ? ` (heap ${res.heapKbPerConn} KB/conn)` : ''}; server CPU ${srvCpu}%`);
      if (failed) { log(`  stopping: ${JSON.stringify(errors)}`); break; }
    }
    await Promise.all(workers.map((w) => w.call('close', {}, 120000)));
  } finally {
    workers.forEach((w) => w.kill());
  }
}

// ---- one server --------------------------------------------------------------------------------------------------
async function runServer(server) {
  const def = SERVER[server];
  if (!def) throw new Error(`unknown server ${server}`);
  const port = +env('PORT');
  const serverPid = +env('SERVER_PID');
  const target = {
    wsUrl: `ws://127.0.0.1:${port}`, httpUrl: `http://127.0.0.1:${port}`,
    token: isHerald(server) ? heraldToken(env('JWT_SECRET')) : undefined,
  };
  const subs = Array.from({ length: CFG.subProcs }, () => spawnWorker('sub'));
  const pub = spawnWorker('pub');
  const ctx = {
    server, label: def.label, port, target, subs, pub, serverPid, nextStep: 1, isJvm: isHerald(server),
    serverPids: () => procTree(serverPid),
  };
  ctx.srvCpu = new CpuMeter(ctx.serverPids);
  ctx.genCpu = new CpuMeter(() => [process.pid, pub.pid, ...subs.map((w) => w.pid)]);
  const metrics0 = isHerald(server) ? await heraldMetrics(port) : undefined;
  emit({
    type: 'server', server, label: def.label, proto: def.proto, port, pid: serverPid,
    serverCpus: affinity(serverPid), serverProcs: ctx.serverPids().length,
    generatorCpus: affinity(process.pid), generatorProcs: CFG.subProcs + 1, config: CFG,
  });
  const tStart = now();
  try {
    if (CFG.cases.includes('A')) {
      await fanout(ctx, def.proto, { nch: 1, label: '1ch', steps: CFG.steps, warmupS: CFG.warmupS, warmupRate: CFG.warmupRate });
      for (const nch of CFG.mcChannels) {
        await fanout(ctx, def.proto, { nch, label: `${nch}ch`, steps: [CFG.mcRate], warmupS: Math.min(3, CFG.warmupS), warmupRate: CFG.mcRate });
      }
      if (def.v1 && CFG.v1Steps.length) {
        await fanout(ctx, def.v1, { nch: 1, label: '1ch-vsn1', steps: CFG.v1Steps, warmupS: Math.min(3, CFG.warmupS), warmupRate: CFG.warmupRate });
      }
    }
  } finally {
    pub.kill();
    subs.forEach((w) => w.kill());
  }
  if (CFG.cases.includes('B')) await connScale(ctx, def.proto);

  const logFile = env('SERVER_LOG');
  let warnings;
  if (logFile && fs.existsSync(logFile)) {
    const lines = fs.readFileSync(logFile, 'utf8').split('\n').filter((l) => /\b(WARN|WARNING|ERROR|SEVERE|Exception|\[error\]|\[crit\]|\[alert\]|\[emerg\]|\[ERR\])/i.test(l));
    const distinct = {};
    for (const l of lines) {
      const k = l.replace(/^[\d\-:.,TZ/ ]+/, '').replace(/\d+/g, 'N').slice(0, 160);
      distinct[k] = (distinct[k] || 0) + 1;
    }
    warnings = { count: lines.length, distinct: Object.entries(distinct).sort((a, b) => b[1] - a[1]).slice(0, 8) };
  }
  let gc;
  const gcLog = env('GC_LOG');
  if (gcLog && fs.existsSync(gcLog)) { // -Xlog:gc lines: "[12.3s][info][gc] GC(4) Pause Young (Allocation Failure) 302M->29M(989M) 21.126ms"
    const pauses = { young: [], full: [] };
    for (const l of fs.readFileSync(gcLog, 'utf8').split('\n')) {
      const m = /Pause (Young|Full)\b.* ([\d.]+)ms$/.exec(l);
      if (m) pauses[m[1] === 'Young' ? 'young' : 'full'].push(+m[2]);
    }
    const sum = (a) => Math.round(a.reduce((x, y) => x + y, 0));
    gc = {
      young: pauses.young.length, youngTotalMs: sum(pauses.young), youngMaxMs: Math.max(0, ...pauses.young),
      full: pauses.full.length, fullTotalMs: sum(pauses.full), fullMaxMs: Math.max(0, ...pauses.full),
    };
  }
  emit({
    type: 'server-end', server, label: def.label, seconds: Math.round((now() - tStart) / 1000), gc,
    metrics: isHerald(server) ? await heraldMetrics(port) : undefined, metricsStart: metrics0, logWarnings: warnings,
  });
}

// ---- report ------------------------------------------------------------------------------------------------------
function fmt(v, d = 1) {
  if (v == null || Number.isNaN(v)) return '–';
  if (Math.abs(v) >= 100) return Math.round(v).toLocaleString('en-US');
  return String(Math.round(v * 10 ** d) / 10 ** d);
}
const k = (v) => (v >= 1000 ? `${v / 1000}k` : String(v));

// Highest step, counted from the bottom, with no loss, no disconnects and p99 < CAP_P99_MS. A failed step that was
// contended (†) does not end the count — it says nothing about the server — but marks the capacity with †.
function capacityOf(rows) {
  let cap = null;
  let skipped = false;
  for (const r of rows.sort((a, b) => a.offered - b.offered)) {
    if (r.loss === 0 && !r.disconnects && r.p99 != null && r.p99 < CFG.capP99Ms) cap = r.offered;
    else if (r.contended ?? contended(r)) skipped = true;
    else break;
  }
  return { cap, skipped };
}

function report() {
  const file = `${OUT}.jsonl`;
  const recs = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const order = ['herald', 'herald-shipped', 'nats', 'nchan', 'sio', 'ws'];
  const servers = [...new Set(recs.filter((r) => r.type === 'server').map((r) => r.server))].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  const meta = recs.find((r) => r.type === 'meta') || {};
  const name = (srv, proto) => (isHerald(srv) ? `${SERVER[srv].label} ${proto === 'herald1' ? 'vsn 1' : 'vsn 2'}` : SERVER[srv].label);
  const L = [];
  L.push(`# Fan-out and connection benchmark — ${meta.started || ''}`, '');
  if (meta.pinning) L.push(`${meta.pinning}`, '');
  if (meta.versions) L.push(`Versions: ${meta.versions}.`, '');
  const srvRec = recs.filter((r) => r.type === 'server');
  if (srvRec.length) {
    L.push(`CPU affinity seen in /proc: ${srvRec.map((r) => `${r.label} server on CPU ${r.serverCpus}, generators on CPU ${r.generatorCpus}`).join('; ')}.`, '');
  }
  const superseded = new Set(recs.filter((r) => r.type === 'superseded').map((r) => r.stepTs));
  const allFan = recs.filter((r) => r.type === 'fanout');
  const fan = allFan.filter((r) => !superseded.has(r.ts));
  const mark = (r) => ((r.contended ?? contended(r)) ? ' †' : '');
  const steps = [...new Set(fan.filter((r) => r.phase === '1ch').map((r) => r.offered))].sort((a, b) => a - b);
  const groups = [];
  for (const s of servers) {
    for (const proto of [...new Set(fan.filter((r) => r.server === s).map((r) => r.proto))]) {
      for (const phase of ['1ch', '1ch-vsn1']) {
        const rows = fan.filter((r) => r.server === s && r.proto === proto && r.phase === phase);
        if (rows.length) groups.push({ s, proto, phase, rows });
      }
    }
  }
  const cfg = (recs.find((r) => r.type === 'server') || {}).config || CFG;
  L.push(`## A. Fan-out: 1 publisher, ${cfg.subs} subscribers in 1 channel, 100-byte messages`, '');
  L.push(`Cell: p50 / p99 end-to-end latency in ms at the offered deliveries/s; ✗ = loss or disconnects. `
    + `Capacity = highest step of the ladder (from the bottom) with no loss and p99 < ${cfg.capP99Ms} ms; `
    + `the ladder stops for a server at the first step with loss, disconnects or p99 > ${cfg.stopP99Ms} ms ("·" = not run). `
    + `A contended step (†, see below) that misses the mark does not end the count; the capacity then carries a †.`, '');
  L.push(`| server | ${steps.map((s) => k(s) + '/s').join(' | ')} | capacity |`);
  L.push(`|---|${steps.map(() => '---').join('|')}|---|`);
  for (const g of groups) {
    const cells = steps.map((st) => {
      const r = g.rows.find((x) => x.offered === st);
      if (!r) return '·';
      const bad = r.loss > 0 || r.disconnects > 0;
      return `${fmt(r.p50)} / ${fmt(r.p99)}${mark(r)}${bad ? ` ✗ ${r.loss ? fmt(r.lossPct, 2) + ' % lost' : ''}${r.disconnects ? ' ' + r.disconnects + ' disc.' : ''}` : ''}`;
    });
    const { cap, skipped } = capacityOf(g.rows.slice());
    L.push(`| ${name(g.s, g.proto)} | ${cells.join(' | ')} | ${cap ? k(cap) + '/s' : 'none'}${cap && skipped ? ' †' : ''} |`);
  }
  L.push('');
  const nSup = allFan.length - fan.length;
  L.push(`† = contended step: a CPU was more than ${cfg.otherLoadPct ?? 10} points busier than the server (CPU 0) or the generator `
    + `(CPU 1) explain, i.e. something else on the machine took CPU during it. Such a step is repeated `
    + `${cfg.retries ?? 1} time(s); the table shows the last attempt${nSup ? ` (${nSup} step(s) were repeated)` : ''}.`, '');
  L.push('Every measured step:', '');
  L.push('| server | channels | offered/s | delivered/s | loss | p50 ms | p99 ms | p99.9 ms | max ms | server CPU % | generator CPU % | CPU 0 / 1 busy % | server RSS MB | disconnects |');
  L.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of fan) {
    L.push(`| ${name(r.server, r.proto)}${mark(r)} | ${r.channels} | ${fmt(r.offered)} | ${fmt(r.deliveredPerS)} | ${r.loss ? `${fmt(r.loss)} (${fmt(r.lossPct, 2)} %)` : 0} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.p999)} | ${fmt(r.max)} | ${fmt(r.serverCpuPct)} | ${fmt(r.genCpuPct)} | ${r.coreBusyPct ? `${fmt(r.coreBusyPct.cpu0)} / ${fmt(r.coreBusyPct.cpu1)}` : '–'} | ${fmt(r.serverRssMB)} | ${r.disconnects || 0}${r.closeCodes ? ' ' + JSON.stringify(r.closeCodes) : ''} |`);
  }
  L.push('');
  const mc = fan.filter((r) => /^\d+ch$/.test(r.phase) && r.channels > 1);
  if (mc.length) {
    L.push(`### ${cfg.subs} subscribers spread over several channels (at ${k(cfg.mcRate)} deliveries/s)`, '');
    L.push('| server | channels | subscribers/channel | messages/s | p50 ms | p99 ms | p99.9 ms | loss | server CPU % |');
    L.push('|---|---|---|---|---|---|---|---|---|');
    for (const r of mc) L.push(`| ${name(r.server, r.proto)}${mark(r)} | ${r.channels} | ${r.subs / r.channels} | ${fmt(r.msgRate)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.p999)} | ${r.loss ? fmt(r.lossPct, 2) + ' %' : 0}${r.disconnects ? ', ' + r.disconnects + ' disc.' : ''} | ${fmt(r.serverCpuPct)} |`);
    L.push('');
  }
  const cs = recs.filter((r) => r.type === 'conns');
  if (cs.length) {
    L.push('## B. Idle joined connections', '');
    L.push('Each connection subscribes to one of 100 channels and then idles (heartbeats only). joins/s = connections '
      + 'opened and subscribed per second of wall time (concurrency shown); KB/conn = server memory (PSS) growth over '
      + 'the server\'s baseline after case A ÷ connections open. For Herald also the Java heap after a full GC ÷ connections.', '');
    L.push('| server | connections | joins/s | join p50 / p99 ms | server CPU % | server MB | KB/conn | heap KB/conn | failed |');
    L.push('|---|---|---|---|---|---|---|---|---|');
    for (const r of cs) {
      L.push(`| ${name(r.server, r.proto)} | ${fmt(r.total)} (+${fmt(r.opened)}, ${r.concurrency} in flight) | ${fmt(r.joinsPerS)} | ${fmt(r.joinP50)} / ${fmt(r.joinP99)} | ${fmt(r.serverCpuPct)} | ${fmt(r.pssMB)} | ${fmt(r.kbPerConn)} | ${r.heapKbPerConn !== undefined ? fmt(r.heapKbPerConn) : '–'} | ${r.failed}${r.errors ? ' ' + JSON.stringify(r.errors).slice(0, 120) : ''} |`);
    }
    L.push('');
  }
  for (const r of recs.filter((x) => x.type === 'skipped')) L.push(`- **${SERVER[r.server] ? SERVER[r.server].label : r.server}: ${r.reason}.**`);
  const ends = recs.filter((r) => r.type === 'server-end');
  if (ends.length) {
    L.push('## Server notes', '');
    for (const e of ends) {
      const parts = [`${e.label}: ${e.seconds} s`];
      if (e.metrics && !e.metrics.error) {
        const drops = Object.entries(e.metrics).filter(([key]) => key.startsWith('herald_drops_total'));
        parts.push(`drops ${drops.length ? drops.map(([key, v]) => `${key.replace(/^herald_drops_total\{reason="(.*)"\}$/, '$1')}=${v}`).join(', ') : 'none'}`);
        if (e.metrics.herald_messages_out_total) parts.push(`herald_messages_out_total=${e.metrics.herald_messages_out_total}`);
      }
      if (e.gc) {
        parts.push(`GC pauses: ${e.gc.young} young (total ${e.gc.youngTotalMs} ms, max ${e.gc.youngMaxMs} ms), `
          + `${e.gc.full} full (total ${e.gc.fullTotalMs} ms, max ${e.gc.fullMaxMs} ms; case B forces one per measurement)`);
      }
      if (e.logWarnings) {
        parts.push(`log warnings/errors: ${e.logWarnings.count}${e.logWarnings.count ? ' — ' + e.logWarnings.distinct.map(([l, n]) => `${n}× \`${l.replace(/`/g, "'").slice(0, 110)}\``).join('; ') : ''}`);
      }
      L.push(`- ${parts.join('; ')}`);
    }
    L.push('');
  }
  const md = L.join('\n');
  fs.writeFileSync(`${OUT}.md`, md + '\n');
  console.log(md);
}

async function main() {
  const [cmd, arg] = process.argv.slice(2);
  if (cmd === 'run') {
    await runServer(arg);
  } else if (cmd === 'meta') {
    emit({ type: 'meta', started: new Date().toISOString(), pinning: env('PINNING', ''), versions: env('VERSIONS', ''), config: CFG });
  } else if (cmd === 'skip') {
    emit({ type: 'skipped', server: arg, reason: process.argv[4] || '' });
  } else if (cmd === 'report') {
    report();
  } else {
    console.error('usage: node bench.js run <herald|herald-shipped|nats|nchan|sio|ws> | meta | report');
    process.exit(2);
  }
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
