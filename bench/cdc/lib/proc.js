'use strict';
// Helpers shared by the coordinators (bench.js, authorised.js): IPC with child processes, CPU shares from /proc,
// findings in Herald's log and GC log, the git revision.
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { nowUs } = require('./hist');

let rpcId = 0;
function rpc(child, msg, timeoutMs = 120000) {
  return new Promise((resolve, reject) => {
    const id = ++rpcId;
    const t = setTimeout(() => { child.off('message', on); reject(new Error(`rpc ${msg.cmd} timed out`)); }, timeoutMs);
    const on = (m) => {
      if (m && m.id === id) {
        clearTimeout(t);
        child.off('message', on);
        if (m.ok) resolve(m); else reject(new Error(m.error));
      }
    };
    child.on('message', on);
    child.send({ ...msg, id });
  });
}

const CLK_TCK = 100;
function procTicks(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime
  } catch (_) { return 0; }
}
function childrenOf(ppid) {
  const out = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      if (Number(f[1]) === ppid) out.push(Number(d));
    } catch (_) { /* gone */ }
  }
  return out;
}
function postmasterPid(pgData) {
  if (!pgData) return 0;
  try { return Number(fs.readFileSync(path.join(pgData, 'postmaster.pid'), 'utf8').split('\n')[0]); } catch (_) { return 0; }
}
function affinity(pid) {
  try { return /Cpus_allowed_list:\s*(\S+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]; } catch (_) { return '?'; }
}
// busy ticks of the whole machine (all cores), from /proc/stat
function machineBusyTicks() {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] || 0); // user nice system irq softirq steal
  } catch (_) { return 0; }
}
// CPU ticks of Herald, of the postmaster and its processes, of the generator processes, and of the machine
function cpuSnap(heraldPid, pgData, genPids) {
  const pm = postmasterPid(pgData);
  const pg = pm ? [pm, ...childrenOf(pm)] : [];
  const pgTicks = new Map(pg.map((p) => [p, procTicks(p)]));
  return { t: nowUs(), herald: heraldPid ? procTicks(heraldPid) : 0, pg: pgTicks, gen: genPids.reduce((a, p) => a + procTicks(p), 0), machine: machineBusyTicks() };
}
// shares of one core; `other` = everything else that ran on the machine meanwhile (other jobs on a shared host)
function cpuPct(a, b) {
  const secs = (b.t - a.t) / 1e6;
  let pg = 0;
  for (const [p, t] of b.pg) pg += t - (a.pg.get(p) || 0); // backends that started in between count from 0
  const pct = (ticks) => Math.round((ticks / CLK_TCK / secs) * 100);
  const herald = pct(b.herald - a.herald);
  const postgres = pct(pg);
  const generator = pct(b.gen - a.gen);
  const other = a.machine && b.machine ? Math.max(0, pct(b.machine - a.machine) - herald - postgres - generator) : null;
  return { herald, postgres, generator, other };
}

function heraldLogFindings(file) {
  if (!file || !fs.existsSync(file)) return null;
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const bad = lines.filter((l) => / (WARN|ERROR) /.test(l) || /^\S*(Exception|Error)\b/.test(l));
  const distinct = new Map();
  for (const l of bad) {
    const k = l.replace(/^\S+ \[[^\]]*\] /, '').replace(/\d+/g, 'N').slice(0, 200);
    distinct.set(k, (distinct.get(k) || 0) + 1);
  }
  return { lines: lines.length, warn_error_lines: bad.length, distinct: [...distinct.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, n]) => ({ n, msg: k })) };
}

function gcPauses(file) {
  if (!file || !fs.existsSync(file)) return [];
  const out = [];
  for (const l of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /\[gc\s*\] GC\(\d+\) Pause .* ([\d.]+)ms$/.exec(l);
    if (m) out.push(Number(m[1]));
  }
  return out;
}
function gcSince(file, n0) {
  const p = gcPauses(file).slice(n0);
  return { pauses: p.length, total_ms: Math.round(p.reduce((a, x) => a + x, 0)), max_ms: p.reduce((a, x) => Math.max(a, x), 0) };
}
function gcFindings(file) {
  if (!file || !fs.existsSync(file)) return null;
  let pauses = 0;
  let totalMs = 0;
  let maxMs = 0;
  const kinds = {};
  let collector = '?';
  for (const l of fs.readFileSync(file, 'utf8').split('\n')) {
    const u = /\[gc\s*\] Using (.*)$/.exec(l);
    if (u) collector = u[1];
    const m = /\[gc\s*\] GC\(\d+\) (Pause [A-Za-z]+(?: \([A-Za-z ]+\))?).* ([\d.]+)ms$/.exec(l);
    if (!m) continue;
    const ms = Number(m[2]);
    pauses++;
    totalMs += ms;
    maxMs = Math.max(maxMs, ms);
    kinds[m[1]] = (kinds[m[1]] || 0) + 1;
  }
  return { collector, pauses, total_ms: Math.round(totalMs), max_ms: maxMs, kinds };
}

function gitDescribe() {
  try {
    const root = path.join(__dirname, '..', '..', '..');
    const head = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() ? '-dirty' : '';
    return head + dirty;
  } catch (_) { return 'unknown'; }
}

module.exports = { rpc, procTicks, childrenOf, postmasterPid, affinity, cpuSnap, cpuPct, heraldLogFindings, gcPauses, gcSince, gcFindings, gitDescribe };
