// Run by loops.test.mjs under `node --disallow-code-generation-from-strings`
// (what a page whose Content-Security-Policy forbids eval gets): map tasks
// then share the package's generic loop; results must be the same.
import { createPool } from '../src/index.js';

let refused = false;
try {
  new Function('return 1'); // eslint-disable-line no-new-func
} catch {
  refused = true;
}
if (!refused) throw new Error('code generation from strings was allowed');
const pool = await createPool({ wasm: new URL('../dist/weft-test.wasm', import.meta.url), workers: 2,
  tasks: new URL('./tasks.mjs', import.meta.url) });
try {
  for (const len of [0, 1, 5, 1001]) {
    const a = Float64Array.from({ length: len }, (_, i) => i), b = Float64Array.from({ length: len }, (_, i) => 2 * i);
    const mix = await pool.mapColumns('mix', [a, b], { grain: 3 });
    const sq = await pool.map('sq', a);
    const five = await pool.mapColumns('col5', [a, b, a, b, a]);
    for (let i = 0; i < len; i++) {
      if (mix[i] !== (a[i] * 7 + b[i]) % 1000003 || sq[i] !== a[i] * a[i] || five[i] !== 9 * a[i] + 6 * b[i])
        throw new Error(`len ${len} [${i}]: ${mix[i]} ${sq[i]} ${five[i]}`);
    }
  }
  const e = await pool.mapColumns('throws_item', [new Float64Array([0, 1, 2]), new Float64Array([1, 1, 1])]).catch((x) => x);
  if (!(e instanceof RangeError) || e.task !== 'throws_item') throw new Error(`error: ${e}`);
  console.log('ok');
} finally {
  await pool.destroy();
}
