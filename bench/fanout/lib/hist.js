'use strict';
// Latency histogram in microseconds: exact below 100 µs, then log buckets 1 % wide (enough for p99.9),
// mergeable across processes (sparse {index: count} objects over IPC).

const LINEAR = 100;
const PER_E = 100; // buckets per factor e => ~1 % resolution
const SIZE = LINEAR + Math.ceil(Math.log(3600e6 / LINEAR) * PER_E) + 2; // up to one hour

class Hist {
  constructor() {
    this.c = new Float64Array(SIZE);
    this.n = 0;
    this.max = 0;
    this.sum = 0;
  }

  add(us) {
    if (!(us >= 0)) us = 0; // clock skew between processes can make tiny negatives
    let i = us < LINEAR ? Math.floor(us) : LINEAR + Math.floor(Math.log(us / LINEAR) * PER_E);
    if (i >= SIZE) i = SIZE - 1;
    this.c[i]++;
    this.n++;
    this.sum += us;
    if (us > this.max) this.max = us;
  }

  toJSON() {
    const b = {};
    for (let i = 0; i < SIZE; i++) if (this.c[i]) b[i] = this.c[i];
    return { b, n: this.n, max: this.max, sum: this.sum };
  }

  merge(o) {
    if (!o) return this;
    if (o instanceof Hist) o = o.toJSON();
    for (const k of Object.keys(o.b)) this.c[+k] += o.b[k];
    this.n += o.n;
    this.sum += o.sum;
    if (o.max > this.max) this.max = o.max;
    return this;
  }

  static valueOf(i) {
    return i < LINEAR ? i + 0.5 : LINEAR * Math.exp((i - LINEAR + 0.5) / PER_E);
  }

  // quantile q in [0,1] -> microseconds
  q(q) {
    if (!this.n) return null;
    const target = Math.max(1, Math.ceil(q * this.n));
    let acc = 0;
    for (let i = 0; i < SIZE; i++) {
      acc += this.c[i];
      if (acc >= target) return Math.min(Hist.valueOf(i), this.max);
    }
    return this.max;
  }

  summary() {
    const ms = (v) => (v == null ? null : Math.round(v) / 1000);
    return {
      n: this.n,
      p50: ms(this.q(0.5)),
      p90: ms(this.q(0.9)),
      p99: ms(this.q(0.99)),
      p999: ms(this.q(0.999)),
      max: ms(this.max),
      mean: this.n ? ms(this.sum / this.n) : null,
    };
  }
}

module.exports = { Hist };
