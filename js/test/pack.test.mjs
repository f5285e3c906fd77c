// The npm package: `npm pack` of js/ gives a tarball with the built
// weft.wasm, the sources it needs (JavaScript, and the C that
// weft-build-c compiles), the types and the README, and nothing else; it
// installs into an empty folder, where `import ... from 'weft'` runs tasks
// and `npx weft-build-c` builds a C task of the user's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PKG = fileURLToPath(new URL('..', import.meta.url));
const EXAMPLE_C = fileURLToPath(new URL('../../examples/js-c-task/dot.c', import.meta.url));

function npm(args, cwd) {
  const r = spawnSync('npm', args, { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `npm ${args.join(' ')} failed (is npm installed? scripts/setup.sh):\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

test('npm pack: the tarball installs into an empty folder and runs tasks by the package name', { timeout: 240000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-pack-'));
  try {
    npm(['pack', '--pack-destination', dir, '--loglevel=error'], PKG);
    const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    assert.ok(tgz, 'a tarball');
    const files = execFileSync('tar', ['tzf', join(dir, tgz)], { encoding: 'utf8' }).trim().split('\n')
      .map((f) => f.replace(/^package\//, '')).sort();
    const allowed = (f) => ['README.md', 'package.json', 'index.d.ts', 'dist/weft.wasm', 'include/weft_task.h',
      'tools/build-c.sh', 'csrc/builtin.c'].includes(f) || /^src\/[a-z]+\.js$/.test(f) || /^c\/(src|include)\//.test(f);
    assert.deepEqual(files.filter((f) => !allowed(f)), [], 'only what the package needs');
    for (const f of ['dist/weft.wasm', 'index.d.ts', 'README.md', 'src/index.js', 'src/worker.js', 'c/src/pool.c',
      'c/src/wasm/host.c', 'c/include/weft.h', 'include/weft_task.h', 'tools/build-c.sh'])
      assert.ok(files.includes(f), `the tarball has ${f}`);

    const app = join(dir, 'app');
    execFileSync('mkdir', [app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true }));
    npm(['install', '--no-audit', '--no-fund', '--loglevel=error', join(dir, tgz)], app);
    writeFileSync(join(app, 'tasks.mjs'), 'export function sq(ctx, x) { return x * x; }\n' +
      'export function sum_sq(ctx, lo, hi, v) { let s = 0; for (let i = lo; i < hi; i++) s += v[i] * v[i]; return s; }\n');
    // a C task of the user's, built by the installed package's command
    copyFileSync(EXAMPLE_C, join(app, 'dot.c'));
    npm(['exec', '--', 'weft-build-c', '-o', 'dot.wasm', 'dot.c'], app);
    writeFileSync(join(app, 'main.mjs'), `
import { createPool } from 'weft';
const tasks = new URL('./tasks.mjs', import.meta.url);
const pool = await createPool({ workers: 2, tasks });
const v = pool.alloc(Float64Array, 1001);
v.forEach((_, i) => (v[i] = i));
const out = [await pool.run('sq', 12), await pool.run('add', 2, 3), await pool.reduce('sum_sq', 0, 1001, {}, v)];
await pool.destroy();
const mine = await createPool({ workers: 2, wasm: new URL('./dot.wasm', import.meta.url) });
const x = mine.alloc(Float64Array, 1000).fill(2);
out.push(await mine.reduce('dot', 0, 1000, {}, x, x), await mine.run('clamp', 9, 0, 1));
await mine.destroy();
console.log(JSON.stringify(out));
`);
    const r = spawnSync(process.execPath, ['main.mjs'], { cwd: app, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    let s = 0;
    for (let i = 0; i <= 1000; i++) s += i * i;
    assert.deepEqual(JSON.parse(r.stdout), [144, 5, s, 4000, 1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
