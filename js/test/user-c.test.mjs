// Users' own C tasks: tools/build-c.sh (npm run build-c, npx weft-build-c)
// compiles C files with the weft core into a .wasm of their own; the example
// of examples/js-c-task is built and run; a file that does not compile fails
// the command with the compiler's message. And the shipped weft.wasm holds
// the documented C tasks only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createPool } from '../src/index.js';

const BUILD_C = fileURLToPath(new URL('../tools/build-c.sh', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../examples/js-c-task/', import.meta.url));

function buildC(...args) {
  return spawnSync('bash', [BUILD_C, ...args], { encoding: 'utf8' });
}

test('the example: dot.c built by build-c.sh, called from JavaScript by main.mjs', { timeout: 120000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-c-'));
  try {
    const out = join(dir, 'dot.wasm');
    const b = buildC('-o', out, join(EXAMPLE, 'dot.c'));
    assert.equal(b.status, 0, b.stderr);
    assert.ok(existsSync(out));
    const r = spawnSync(process.execPath, [join(EXAMPLE, 'main.mjs'), out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /C tasks: .*dot.*clamp/);
    assert.equal((r.stdout.match(/^ok /gm) || []).length, 3, r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a C task of a user module: run, spawned from JavaScript, chunk task of a loop', { timeout: 120000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-c-'));
  try {
    const src = join(dir, 'mine.c');
    writeFileSync(src, `#include <weft_task.h>
/* triple(x) = 3 x; over a chunk: writes v[i] = 3 i for i in [lo, hi) and returns the count */
WEFT_JS_TASK(triple) { weft_js_return(b, 3 * weft_js_num(b, 0)); }
WEFT_JS_TASK(fill3) {
  uint32_t lo = (uint32_t)weft_js_num(b, 0), hi = (uint32_t)weft_js_num(b, 1), n;
  int32_t *v = weft_js_view(b, 2, &n);
  for (uint32_t i = lo; i < hi && i < n; i++) v[i] = (int32_t)(3 * i);
  weft_js_return(b, hi - lo);
}
`);
    const out = join(dir, 'mine.wasm');
    const b = buildC('-o', out, src);
    assert.equal(b.status, 0, b.stderr);
    const pool = await createPool({ workers: 2, wasm: pathToFileURL(out), tasks: new URL('./tasks.mjs', import.meta.url) });
    try {
      assert.deepEqual(pool.tasks.c.sort(), ['add', 'fill3', 'triple', 'vsum']);
      assert.equal(await pool.run('triple', 14), 42);
      const col = Float64Array.from({ length: 777 }, (_, i) => i - 300);
      const got = await pool.map('triple', col);
      for (let i = 0; i < col.length; i++) assert.equal(got[i], 3 * col[i]);
      const v = pool.alloc(Int32Array, 100001);
      assert.equal(await pool.reduce('fill3', 0, v.length, undefined, v), v.length);
      for (let i = 0; i < v.length; i++) if (v[i] !== 3 * i) assert.fail(`v[${i}] = ${v[i]}`);
    } finally {
      await pool.destroy();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a C file that does not compile: the compiler\'s message, a non-zero exit', { timeout: 120000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-c-'));
  try {
    const src = join(dir, 'broken.c');
    writeFileSync(src, '#include <weft_task.h>\nWEFT_JS_TASK(oops) { weft_js_return(b, undeclared_thing); }\n');
    const r = buildC('-o', join(dir, 'broken.wasm'), src);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /broken\.c:2:.*undeclared_thing/);
    assert.match(r.stderr, /did not compile/);
    assert.ok(!existsSync(join(dir, 'broken.wasm')));
    const u = buildC(join(dir, 'broken.c'));
    assert.equal(u.status, 2, 'no -o: usage');
    assert.match(u.stderr, /usage: weft-build-c -o OUT.wasm/);
    const m = buildC('-o', join(dir, 'x.wasm'), join(dir, 'missing.c'));
    assert.notEqual(m.status, 0);
    assert.match(m.stderr, /no such file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the shipped weft.wasm holds the runtime and the documented C tasks only', async () => {
  const pool = await createPool({ workers: 1 });
  try {
    assert.deepEqual(pool.tasks.c.sort(), ['add', 'vsum']);
    assert.throws(() => pool.run('fib', 3), /no task named 'fib' \(C tasks: add, vsum;/);
    const v = pool.alloc(Float64Array, 3000);
    v.forEach((_, i) => (v[i] = i));
    assert.equal(await pool.run('vsum', v), (2999 * 3000) / 2);
  } finally {
    await pool.destroy();
  }
});
