// weft's JavaScript package in headless Chromium (Debian's chromium, driven
// by playwright-core): the Node suite's core checks on Web Workers, the
// message completion path, the responsive main thread, and the
// no-isolation error + single-thread fallback. Every check runs in a fresh
// page against js/tools/serve.mjs and has a timeout.
//   cd js/test/browser && npm ci && node --test browser.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, NOISO_PREFIX } from '../../tools/serve.mjs';
import { launchChromium, newPage } from './chromium.mjs';

const PAGE = '/js/test/browser/index.html';
let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchChromium();
}, { timeout: 60000 });

after(async () => {
  if (browser) await browser.close();
  if (server) await server.close();
});

// Runs tests[name](arg) in a fresh page; fails with the page's own error
// and console output. `prefix` '' (isolated) or NOISO_PREFIX.
async function inPage(name, { prefix = '', arg, timeout = 60000 } = {}) {
  const log = [];
  const page = await newPage(browser, log);
  page.setDefaultTimeout(timeout);
  try {
    await page.goto(`${server.url}${prefix}${PAGE}`);
    return await page.evaluate(async ({ name, arg }) => {
      const tests = await window.weftSuite;
      try {
        return { ok: true, value: await tests[name](arg) };
      } catch (e) {
        return { ok: false, error: `${e && e.name}: ${e && e.message}\n${e && e.stack}` };
      }
    }, { name, arg }).then((r) => {
      if (!r.ok) assert.fail(`${name}: ${r.error}${log.length ? `\npage log:\n${log.join('\n')}` : ''}`);
      return r.value;
    });
  } finally {
    await page.close();
  }
}

const T = { timeout: 90000 };

test('the page is cross-origin isolated', T, async () => {
  const r = await inPage('isolated');
  assert.equal(r.crossOriginIsolated, true);
});

test('fork-join: C and JavaScript tasks on 2 Web Workers match sequential oracles', T, async () => {
  const r = await inPage('forkJoin');
  assert.ok(r.stats.spawns > 10000);
});

test('pool.trace in Chromium: nested slices, one per JavaScript task', T, async () => {
  assert.ok((await inPage('trace')).js > 100);
});

test('a throwing JavaScript task rejects with its name; the pool stays usable', T, async () => {
  await inPage('errors');
});

test('loops (pool.for, pool.reduce, ctx.for, mapColumns) match sequential oracles, both completion modes', T, async () => {
  for (const completion of ['waitAsync', 'message']) assert.ok((await inPage('loops', { arg: { completion } })).sizes.length);
});

test('launched tasks (random DAGs, events triggered by a fetch, pipes, failure naming its origin), workers and single thread', T, async () => {
  assert.equal((await inPage('launch')).nodes, 500);
  assert.equal((await inPage('launch', { arg: { single: true } })).nodes, 500);
});

test('repeated create/destroy', T, async () => {
  assert.equal((await inPage('createDestroy')).cycles, 6);
});

test('a worker that fails to load fails pool creation with the reason', T, async () => {
  const r = await inPage('workerLoadFailure');
  assert.match(r.messages[0], /broken on purpose/);
  assert.match(r.messages[1], /cannot import task module/);
});

// The worker script itself does not load: the page's requests for it are
// answered by playwright (404, or JavaScript that does not parse).
async function createWithBrokenWorker(status, body) {
  const page = await newPage(browser);
  page.setDefaultTimeout(60000);
  try {
    await page.route('**/js/src/worker.js', (route) => route.fulfill({
      status, body, contentType: 'text/javascript',
      headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } }));
    await page.goto(`${server.url}${PAGE}`);
    return await page.evaluate(async () => {
      const { createPool } = await import('/js/src/index.js');
      try {
        const pool = await createPool({ workers: 2 });
        await pool.destroy();
        return 'createPool resolved';
      } catch (e) {
        return e.message;
      }
    });
  } finally {
    await page.close();
  }
}

test('a worker script that does not load fails pool creation with the HTTP status or the reason', T, async () => {
  assert.match(await createWithBrokenWorker(404, 'not here'), /weft: worker \d failed to load .*worker\.js: HTTP 404/);
  assert.match(await createWithBrokenWorker(200, 'export const = ;'), /weft: worker \d failed to load .*worker\.js: it failed to evaluate/);
});

test("completion: 'message' (no Atomics.waitAsync), forced: same results", T, async () => {
  assert.equal((await inPage('messageCompletion')).completion, 'message');
});

test('completion: without Atomics.waitAsync, auto picks message', T, async () => {
  assert.equal((await inPage('noWaitAsync')).completion, 'message');
});

test("the main thread's timer keeps firing during a long run (waitAsync)", T, async () => {
  const r = await inPage('responsive');
  assert.equal(r.completion, 'waitAsync');
  assert.ok(r.seen >= 25 && r.mainTicks >= 25, JSON.stringify(r));
});

test("the main thread's timer keeps firing during a long run (message)", T, async () => {
  const r = await inPage('responsive', { arg: { completion: 'message' } });
  assert.equal(r.completion, 'message');
  assert.ok(r.seen >= 25 && r.mainTicks >= 25, JSON.stringify(r));
});

test('without COOP/COEP: the error names the missing headers; the single-thread fallback is correct', T, async () => {
  const r = await inPage('noIsolation', { prefix: NOISO_PREFIX });
  assert.match(r.problem, /Cross-Origin-Opener-Policy: same-origin/);
  assert.match(r.problem, /Cross-Origin-Embedder-Policy: require-corp/);
});

// The demo page (js/demo): its renders match the oracle, and its trace
// button has the last render's trace: nested slices, the tile tasks named.
test('the demo page renders correctly and offers the trace of its last render', T, async () => {
  const log = [];
  const page = await newPage(browser, log);
  page.setDefaultTimeout(60000);
  try {
    await page.goto(`${server.url}/js/demo/?workers=2&reps=1&iter=100`);
    const r = await page.evaluate(async () => {
      const res = await window.weftDemo;
      const { checkTrace } = await import('/js/test/browser/trace-check.js');
      const doc = JSON.parse(window.weftLastTrace);
      const { begins } = checkTrace(doc);
      return { ok: res.ok, button: !document.getElementById('trace').disabled,
        tiles: begins.filter((e) => e.cat === 'js' && e.name === 'mandel_tiles').length,
        workers: doc.otherData.workers };
    });
    assert.ok(r.ok, `renders match the oracle\n${log.join('\n')}`);
    assert.ok(r.button, 'trace button enabled');
    assert.equal(r.workers, 2);
    assert.ok(r.tiles > 1, `mandel_tiles slices: ${r.tiles}`);
  } finally {
    await page.close();
  }
});
