// Calls the C tasks of dot.c from JavaScript and checks them against plain
// JavaScript loops. Build the module first, then run:
//
//   js/tools/build-c.sh -o /tmp/dot.wasm examples/js-c-task/dot.c
//   node examples/js-c-task/main.mjs /tmp/dot.wasm
//
// (From an installed package: npx weft-build-c -o dot.wasm dot.c, and
// import { createPool } from 'weft'.) Exits 1 if a result is wrong.
import { createPool } from '../../js/src/index.js';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const wasm = pathToFileURL(resolve(process.argv[2] || 'dot.wasm'));
const pool = await createPool({ workers: 2, wasm });
let bad = 0;
const check = (what, got, want) => {
  const ok = Object.is(got, want) || Math.abs(got - want) <= 1e-9 * Math.abs(want);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}: ${got}${ok ? '' : ` (want ${want})`}`);
  if (!ok) bad++;
};
try {
  console.log(`C tasks: ${pool.tasks.c.join(', ')}`);
  // a reduction whose chunks are a C task
  const n = 1_000_001;
  const x = pool.alloc(Float64Array, n), y = pool.alloc(Float64Array, n);
  for (let i = 0; i < n; i++) {
    x[i] = (i % 100) / 10;
    y[i] = 1 + (i % 7);
  }
  let want = 0;
  for (let i = 0; i < n; i++) want += x[i] * y[i];
  check(`dot of ${n} doubles (pool.reduce)`, await pool.reduce('dot', 0, n, undefined, x, y), want);
  // one call
  check('clamp(5, 0, 1) (pool.run)', await pool.run('clamp', 5, 0, 1), 1);
  // one call per item, over typed-array columns
  const v = Float32Array.from({ length: 1000 }, (_, i) => i / 100 - 5);
  const out = await pool.mapColumns('clamp', [v, new Float64Array(1000).fill(-1), new Float64Array(1000).fill(2)]);
  let same = 0;
  for (let i = 0; i < v.length; i++) if (out[i] === Math.min(2, Math.max(-1, v[i]))) same++;
  check('clamp over 1000 items (pool.mapColumns): items right', same, v.length);
} finally {
  await pool.destroy();
}
process.exitCode = bad ? 1 : 0;
