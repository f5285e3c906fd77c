// The demo page: renders the Mandelbrot set as tiles, one weft task per
// tile, with pools of 1..N workers; times each (median of a few renders),
// checks every render against a sequential render on this thread, and shows
// the last image with each tile tinted by the worker that computed it.
//
// Query parameters: workers=N (largest pool; default navigator.hardwareConcurrency),
// reps=R (timed renders per pool, default 3), iter=I (iteration limit),
// completion=message (force the no-waitAsync path).

import { createPool, isolationProblem } from '../src/index.js';
import { computeTile, tileCount, P_W, P_H, P_TILE } from './mandel.js';

const TASKS = new URL('./demo-tasks.js', import.meta.url);
const COLOURS = [[255, 140, 26], [47, 127, 255], [35, 179, 74], [212, 63, 212],
  [230, 198, 25], [25, 194, 194], [224, 65, 58], [138, 92, 255]];

const q = new URLSearchParams(location.search);
const intParam = (k, d, lo, hi) => {
  const v = q.has(k) ? Number(q.get(k)) : d;
  if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`demo: ?${k} must be an integer in ${lo}..${hi}`);
  return v;
};

const $ = (id) => document.getElementById(id);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// width, height, tile, left x, top y, step per pixel, iteration limit. The
// view is off-centre on purpose: the top half holds most of the set (slow
// tiles), so the worker that gets the bottom half runs out of work early
// and steals from the other -- the colours show where.
function makeParams(iter) {
  const W = 768, H = 512, step = 3.0 / W;
  return [W, H, 32, -2.2, -0.55, step, iter];
}

// Paints the smooth iteration counts, each tile tinted by its worker.
function paint(canvas, iters, params, owner) {
  const W = params[P_W], H = params[P_H], T = params[P_TILE];
  const tilesX = Math.ceil(W / T);
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(W, H);
  const px = img.data;
  const maxIter = params[6];
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      const k = Math.floor(y / T) * tilesX + Math.floor(x / T);
      const c = COLOURS[owner[k] % COLOURS.length] || [128, 128, 128];
      const v = iters[i];
      // Brightness: log of the escape count; the set itself stays dark.
      const b = v < 0 ? 0.12 : 0.3 + 0.7 * Math.min(1, Math.log(1 + Math.max(0, v)) / Math.log(1 + maxIter / 4));
      const edge = x % T === 0 || y % T === 0 ? 0.75 : 1; // faint tile grid
      px[4 * i] = c[0] * b * edge;
      px[4 * i + 1] = c[1] * b * edge;
      px[4 * i + 2] = c[2] * b * edge;
      px[4 * i + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
}

// The same image on this thread, without weft: the oracle.
function renderSequential(params) {
  const out = new Float32Array(params[P_W] * params[P_H]);
  let sum = 0;
  for (let k = 0, n = tileCount(params); k < n; k++) sum += computeTile(out, params, k);
  return { out, sum };
}

async function timePool(workers, reps, paramsList, oracle, completion) {
  const pool = await createPool({ workers, tasks: TASKS, completion });
  try {
    const n = tileCount(paramsList);
    const out = pool.alloc(Float32Array, paramsList[P_W] * paramsList[P_H]);
    const params = pool.alloc(Float64Array, paramsList.length);
    params.set(paramsList);
    const owner = pool.alloc(Int32Array, n);
    const times = [];
    let sum = 0, trace = null;
    for (let r = 0; r <= reps; r++) { // the first render warms up (JIT, caches)
      owner.fill(-1);
      if (r === reps) pool.traceStart(); // the last render's timeline (docs/TRACES.md)
      const t0 = performance.now();
      sum = await pool.run('mandel_tiles', out, params, owner, 0, n);
      if (r > 0) times.push(performance.now() - t0);
      if (r === reps) {
        pool.traceStop();
        trace = pool.trace();
      }
    }
    const perWorker = new Array(pool.workers).fill(0);
    for (const w of owner) if (w >= 0) perWorker[w]++;
    let same = sum === oracle.sum && !owner.includes(-1);
    for (let i = 0; same && i < out.length; i++) same = Object.is(out[i], oracle.out[i]);
    return {
      workers: pool.workers, fallback: pool.fallback, fallbackReason: pool.fallbackReason,
      completion: pool.completion, ms: median(times), times, perWorker, checksum: sum, ok: same,
      iters: out.slice(), owner: Int32Array.from(owner), trace,
    };
  } finally {
    await pool.destroy();
  }
}

function addRow(row, base) {
  const tr = document.createElement('tr');
  const cells = [row.label ?? String(row.workers), row.ms.toFixed(1),
    base ? (base / row.ms).toFixed(2) + 'x' : '', row.perWorker ? row.perWorker.join(' / ') : '',
    row.ok ? 'ok' : 'WRONG'];
  cells.forEach((c, i) => {
    const td = document.createElement('td');
    td.textContent = c;
    if (i === 4) td.className = row.ok ? 'ok' : 'bad';
    tr.appendChild(td);
  });
  $('timings').tBodies[0].appendChild(tr);
}

async function main() {
  const maxWorkers = intParam('workers', navigator.hardwareConcurrency || 2, 1, 64);
  const reps = intParam('reps', 3, 1, 50);
  const iter = intParam('iter', 400, 10, 100000);
  const completion = q.get('completion') || 'auto';
  const params = makeParams(iter);
  const problem = await isolationProblem();
  $('status').textContent = problem ? problem : `cross-origin isolated; ${navigator.hardwareConcurrency} cores reported`;
  if (problem) $('status').className = 'bad';

  // The oracle first (it blocks this thread for a moment; weft's runs do not).
  const seqTimes = [];
  let oracle;
  for (let r = 0; r <= reps; r++) {
    const t0 = performance.now();
    oracle = renderSequential(params);
    if (r > 0) seqTimes.push(performance.now() - t0);
  }
  const rows = [{ label: 'sequential, no weft', ms: median(seqTimes), ok: true, checksum: oracle.sum }];
  addRow(rows[0]);
  const top = problem ? 1 : maxWorkers;
  let last;
  for (let w = 1; w <= top; w++) {
    last = await timePool(w, reps, params, oracle, completion);
    rows.push(last);
    if (last.fallback) last.label = '1 (single-thread fallback)';
    addRow(last, rows[1].ms);
    paint($('view'), last.iters, params, last.owner);
    $('legend').innerHTML = `${last.workers} worker${last.workers > 1 ? 's' : ''}:` + last.perWorker.map((c, i) =>
      `<span class="swatch" style="background:rgb(${COLOURS[i % COLOURS.length]})"></span>worker ${i} (${c} tiles)`).join('');
  }
  // The trace of the last render: Chrome Trace Event JSON for ui.perfetto.dev.
  const btn = $('trace');
  btn.disabled = false;
  btn.textContent = `download the trace of the last render (${last.workers} worker${last.workers > 1 ? 's' : ''})`;
  btn.onclick = () => {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([last.trace], { type: 'application/json' }));
    a.download = `weft-mandel-${last.workers}w.json`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  };
  window.weftLastTrace = last.trace;
  $('note').textContent = `${tileCount(params)} tiles of ${params[P_TILE]}x${params[P_TILE]} pixels, ` +
    `iteration limit ${iter}; median of ${reps} renders after one warm-up; completion: ${last.completion}; ` +
    'every render is compared pixel by pixel with the sequential one.';
  const result = {
    ok: rows.every((r) => r.ok), problem, checksum: oracle.sum,
    rows: rows.map(({ iters, owner, trace, ...r }) => r),
  };
  document.body.dataset.state = 'done';
  return result;
}

window.weftDemo = main().catch((e) => {
  $('status').textContent = `demo failed: ${e && e.stack || e}`;
  $('status').className = 'bad';
  document.body.dataset.state = 'failed';
  throw e;
});
