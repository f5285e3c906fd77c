// The plain postMessage worker pool of the benchmarks: round-robin over
// workers running pm_worker.mjs, one promise per message.
import { Worker } from 'node:worker_threads';

export class PmPool {
  constructor(n) {
    this.ws = Array.from({ length: n }, () => new Worker(new URL('./pm_worker.mjs', import.meta.url)));
    this.next = 0;
    this.id = 0;
    this.pending = new Map();
    for (const w of this.ws) w.on('message', (m) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      p(m.out || m.r);
    });
  }

  // Posts msg (plus an id) to the next worker; resolves with its answer.
  send(msg, transfer) {
    const id = this.id++;
    const w = this.ws[this.next++ % this.ws.length];
    return new Promise((r) => {
      this.pending.set(id, r);
      w.postMessage({ id, ...msg }, transfer || []);
    });
  }

  close() {
    return Promise.all(this.ws.map((w) => w.terminate()));
  }
}
