// Worker of the message pool of loops.js, in a browser (Web Worker) or Node
// (worker_threads): sums of pairs ({batch}), and axpy / sum over a chunk of
// shared arrays ('init' sends the SharedArrayBuffers once, xs/ys and
// ca/cb/cout each optional); the columns of
// tiny items as copies transferred ({a, b}) or on shared buffers ({lo, hi}
// over the columns 'init' sent).
let post, x = null, y = null, ca = null, cb = null, cout = null, colsConst = null;

// The columns' loop as a closure over constant arrays, made once per worker
// ('cols-c'): V8 compiles the first closure of a function literal with its
// captured constants folded in (no per-iteration checks), as the raw
// workers' loops (raw_worker.mjs); the message pool's best configuration.
function constLoop(a, b, out) {
  return (lo, hi) => {
    for (let i = lo; i < hi; i++) out[i] = a[i] + b[i];
  };
}
function handle(m) {
  if (m.op === 'pairs') {
    const b = m.batch, k = b.length >> 1, out = new Float64Array(k);
    for (let i = 0; i < k; i++) out[i] = b[2 * i] + b[2 * i + 1];
    post({ id: m.id, out }, [out.buffer]);
  } else if (m.op === 'init') {
    if (m.xs) {
      x = new Float64Array(m.xs);
      y = new Float64Array(m.ys);
    }
    if (m.ca) {
      ca = new Float64Array(m.ca);
      cb = new Float64Array(m.cb);
      cout = new Float64Array(m.cout);
      if (!colsConst) colsConst = constLoop(ca, cb, cout);
    }
    post({ id: m.id, r: 0 });
  } else if (m.op === 'cols-t') {
    const a = m.a, b = m.b, k = a.length, out = new Float64Array(k);
    for (let i = 0; i < k; i++) out[i] = a[i] + b[i];
    post({ id: m.id, out }, [out.buffer]);
  } else if (m.op === 'cols-c') {
    colsConst(m.lo, m.hi);
    post({ id: m.id, r: 0 });
  } else if (m.op === 'cols') {
    for (let i = m.lo; i < m.hi; i++) cout[i] = ca[i] + cb[i];
    post({ id: m.id, r: 0 });
  } else if (m.op === 'axpy') {
    for (let i = m.lo; i < m.hi; i++) y[i] += m.a * x[i];
    post({ id: m.id, r: 0 });
  } else if (m.op === 'sum') {
    let s = 0;
    for (let i = m.lo; i < m.hi; i++) s += x[i];
    post({ id: m.id, r: s });
  }
}
if (typeof WorkerGlobalScope !== 'undefined') {
  post = (m, t) => self.postMessage(m, t || []);
  self.onmessage = (e) => handle(e.data);
} else {
  const { parentPort } = await import('node:worker_threads');
  post = (m, t) => parentPort.postMessage(m, t || []);
  parentPort.on('message', handle);
}
