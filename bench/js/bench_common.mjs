// Node-side helpers of the bench/js scripts that run in headless Chromium
// (browser_fj.mjs, browser_graph.mjs) and of graph.mjs: options, the native
// figures of the same invocation, and a Chromium session on the static
// server (js/tools/serve.mjs) with the benchmark page bench/js/browser/.
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { median } from './browser/stats.js';

export { median };

// --key value options over `defaults`: positive integers, except keys
// whose default is a string (taken as is) or a boolean (a flag).
export function parseOptions(script, defaults, argv) {
  const o = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i].replace(/^--/, '');
    if (!(k in o)) throw new TypeError(`${script}: unknown option ${argv[i]}`);
    if (typeof o[k] === 'boolean') o[k] = true;
    else if (typeof o[k] === 'string') o[k] = argv[++i];
    else {
      o[k] = Number(argv[++i]);
      if (!(Number.isInteger(o[k]) && o[k] > 0)) throw new TypeError(`${script}: --${k} takes a positive integer`);
    }
  }
  return o;
}

// Median ms of the native bench_weft on fib(n), `reps` repetitions.
export function nativeFib(bin, n, workers, reps) {
  const out = execFileSync(bin, ['fib', String(n), String(workers), String(reps)], { encoding: 'utf8' });
  const rows = out.trim().split('\n').map((l) => JSON.parse(l));
  const ms = median(rows.map((r) => r.ms));
  return { median_ms: ms, ns_per_spawn: +(ms * 1e6 / rows[0].spawns).toFixed(2), spawns: rows[0].spawns };
}

// Median ms of the run phase of the native graph benchmark (bench/graph
// graph_weft: one build, `runs` timed runs), or null if `bin` is missing.
export function nativeGraph(bin, bench, n, workers, runs) {
  if (!fs.existsSync(bin)) return null;
  const out = execFileSync(bin, [bench, String(n), String(workers), '1'],
    { encoding: 'utf8', env: { ...process.env, GB_RUNS: String(runs) } });
  const rows = out.trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.phase === 'run');
  return median(rows.map((r) => r.ms));
}

// Under chrt, chromium is started at SCHED_OTHER (js/test/browser/chromium.mjs
// says why); its renderer processes -- the page and its Web Workers, which
// do the measured work and reap no children -- get this process's SCHED_FIFO
// priority once the page is up, so the browser rows compete like the others.
function promoteRenderers(profile) {
  let prio;
  try {
    prio = /priority: (\d+)/.exec(execFileSync('chrt', ['-p', String(process.pid)], { encoding: 'utf8' }))[1];
  } catch {
    return 'unknown';
  }
  if (prio === '0') return 'SCHED_OTHER';
  let n = 0;
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let cmd;
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmd.includes('--type=renderer') || !cmd.includes(profile)) continue;
    execFileSync('chrt', ['-f', '-a', '-p', prio, pid]);
    n++;
  }
  return `renderers (${n}) at SCHED_FIFO ${prio}`;
}

// Starts the static server and Debian's headless chromium (playwright-core
// from js/test/browser). Resolves to { measure(fn, args), close(), sched }:
// measure opens a fresh page of bench/js/browser/index.html, calls
// window[fn](args) there and resolves to its result, which must say the
// page was cross-origin isolated.
export async function chromiumSession() {
  const { startServer } = await import('../../js/tools/serve.mjs');
  const { launchChromium, newPage } = await import('../../js/test/browser/chromium.mjs');
  const server = await startServer();
  let browser;
  try {
    browser = await launchChromium();
  } catch (e) {
    await server.close();
    throw e;
  }
  const session = {
    sched: 'SCHED_OTHER',
    async measure(fn, args) {
      const log = [];
      const page = await newPage(browser, log);
      let r;
      try {
        page.setDefaultTimeout(300000);
        await page.goto(`${server.url}/bench/js/browser/index.html`);
        await page.waitForFunction(() => window.weftBenchReady === true);
        session.sched = promoteRenderers(browser.weftProfile);
        r = await page.evaluate(([f, a]) => window[f](a), [fn, args]);
      } catch (e) {
        throw new Error(`${e.message}\n${log.join('\n')}`);
      } finally {
        await page.close();
      }
      if (!r.crossOriginIsolated) throw new Error(`the page is not cross-origin isolated\n${log.join('\n')}`);
      return r;
    },
    async close() {
      try {
        await browser.close();
      } finally {
        await server.close();
      }
    },
  };
  return session;
}

// "Chrome/156.0..." of a user agent string -> "156.0...".
export const chromeVersion = (ua) => (ua.match(/Chrome\/([\d.]+)/) || [])[1];
