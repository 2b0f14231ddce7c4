'use strict';
// Log-bucketed latency histogram (values in microseconds, ~2% relative precision), mergeable across processes.
const GROWTH = 1.02;
const LN_G = Math.log(GROWTH);
const NBUCKETS = 1000; // covers 1 µs .. ~3.9e8 µs

class Hist {
  constructor() {
    this.counts = new Float64Array(NBUCKETS);
    this.n = 0;
    this.sum = 0;
    this.min = Infinity;
    this.max = -Infinity;
  }
  add(us) {
    if (!(us >= 0)) us = 0; // negative only through clock noise between processes: clamp
    const i = us < 1 ? 0 : Math.min(NBUCKETS - 1, 1 + Math.floor(Math.log(us) / LN_G));
    this.counts[i]++;
    this.n++;
    this.sum += us;
    if (us < this.min) this.min = us;
    if (us > this.max) this.max = us;
  }
  toJSON() {
    // sparse form for IPC
    const b = [];
    for (let i = 0; i < NBUCKETS; i++) if (this.counts[i]) b.push(i, this.counts[i]);
    return { b, n: this.n, sum: this.sum, min: this.min === Infinity ? null : this.min, max: this.max === -Infinity ? null : this.max };
  }
  merge(j) {
    if (!j) return this;
    const src = j instanceof Hist ? j.toJSON() : j;
    for (let k = 0; k < src.b.length; k += 2) this.counts[src.b[k]] += src.b[k + 1];
    this.n += src.n;
    this.sum += src.sum;
    if (src.min != null && src.min < this.min) this.min = src.min;
    if (src.max != null && src.max > this.max) this.max = src.max;
    return this;
  }
  // upper edge of the bucket holding the q-quantile, capped by the exact max
  quantile(q) {
    if (this.n === 0) return null;
    const target = Math.max(1, Math.ceil(q * this.n));
    let acc = 0;
    for (let i = 0; i < NBUCKETS; i++) {
      acc += this.counts[i];
      if (acc >= target) {
        const upper = i === 0 ? 1 : Math.pow(GROWTH, i);
        return Math.min(upper, this.max);
      }
    }
    return this.max;
  }
  summaryMs() {
    const r = (us) => (us == null ? null : Math.round(us) / 1000);
    return {
      n: this.n,
      mean: this.n ? r(this.sum / this.n) : null,
      p50: r(this.quantile(0.5)),
      p90: r(this.quantile(0.9)),
      p95: r(this.quantile(0.95)),
      p99: r(this.quantile(0.99)),
      p999: r(this.quantile(0.999)),
      max: this.n ? r(this.max) : null,
    };
  }
}

// Wall clock in microseconds with sub-ms resolution, comparable between processes of one machine.
const { performance } = require('perf_hooks');
const nowUs = () => (performance.timeOrigin + performance.now()) * 1000;

module.exports = { Hist, nowUs };
