// fib fork-join in headless Chromium: per-spawn cost and wall time of the
// wasm build at 1 and N workers, beside the same measurement in Node and
// (when built) the native bench_weft, in one run. Starts the static server
// (js/tools/serve.mjs) and Debian's chromium (playwright-core from
// js/test/browser; scripts/setup.sh installs both).
//
//   node bench/js/browser_fj.mjs [--n 30] [--workers N] [--reps 9] [--runs 3]
//                                [--native build-jsbench/bench/bench_weft]
//
// Each run is a fresh page (and a fresh Node pool); a run's figure is the
// median of `reps` timed runs after two warm-ups; the table gives the median
// over runs. Prints a markdown table and one JSON line per row.
import fs from 'node:fs';
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startServer } from '../../js/tools/serve.mjs';
import { launchChromium, newPage } from '../../js/test/browser/chromium.mjs';
import { createPool } from '../../js/src/index.js';
import { measureFib } from './browser/fib.js';

function parse(argv) {
  const o = { n: 30, workers: os.availableParallelism(), reps: 9, runs: 3,
    native: fileURLToPath(new URL('../../build-jsbench/bench/bench_weft', import.meta.url)) };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i].replace(/^--/, '');
    if (!(k in o)) throw new TypeError(`browser_fj: unknown option ${argv[i]}`);
    o[k] = k === 'native' ? argv[++i] : Number(argv[++i]);
    if (k !== 'native' && !(Number.isInteger(o[k]) && o[k] > 0))
      throw new TypeError(`browser_fj: --${k} takes a positive integer`);
  }
  if (o.n > 40) throw new RangeError('browser_fj: --n at most 40');
  return o;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function nativeFib(bin, n, workers, reps) {
  const out = execFileSync(bin, ['fib', String(n), String(workers), String(reps)], { encoding: 'utf8' });
  const rows = out.trim().split('\n').map((l) => JSON.parse(l));
  const ms = median(rows.map((r) => r.ms));
  return { median_ms: ms, ns_per_spawn: +(ms * 1e6 / rows[0].spawns).toFixed(2), spawns: rows[0].spawns };
}

// Under chrt, chromium is started at SCHED_OTHER (chromium.mjs says why);
// its renderer processes -- the page and its Web Workers, which do the
// measured work and reap no children -- get this process's SCHED_FIFO
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

const o = parse(process.argv.slice(2));
const counts = [...new Set([1, o.workers])];
const server = await startServer();
const browser = await launchChromium();
const results = []; // { where, workers, run, ...measure }
let info;
let sched = 'SCHED_OTHER';
try {
  for (let run = 0; run < o.runs; run++) {
    const log = [];
    const page = await newPage(browser, log);
    page.setDefaultTimeout(300000);
    await page.goto(`${server.url}/bench/js/browser/index.html`);
    await page.waitForFunction(() => window.weftBenchReady === true);
    sched = promoteRenderers(browser.weftProfile);
    const r = await page.evaluate((a) => window.weftBench(a), { workers: counts, n: o.n, reps: o.reps });
    await page.close();
    if (!r.crossOriginIsolated) throw new Error(`the page is not cross-origin isolated\n${log.join('\n')}`);
    info = r;
    for (const row of r.rows) results.push({ where: 'chromium', run, ...row });
    for (const w of counts) results.push({ where: 'node', run, ...(await measureFib(createPool, { workers: w, n: o.n, reps: o.reps })) });
    if (fs.existsSync(o.native))
      for (const w of counts) results.push({ where: 'native', run, workers: w, n: o.n, ...nativeFib(o.native, o.n, w, o.reps) });
  }
} finally {
  await browser.close();
  await server.close();
}

const chromiumVersion = (info.userAgent.match(/Chrome\/([\d.]+)/) || [])[1];
console.log(`fib(${o.n}), ${o.reps} timed runs per figure (median), median over ${o.runs} runs; ` +
  `chromium ${chromiumVersion} (${sched}), node ${process.versions.node}, ${info.cores} cores reported`);
console.log('| where | workers | spawns | median ms | ns/spawn | vs native |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
const summary = [];
for (const where of ['chromium', 'node', 'native']) {
  for (const w of counts) {
    const rs = results.filter((r) => r.where === where && r.workers === w);
    if (!rs.length) continue;
    summary.push({ where, workers: w, n: o.n, runs: rs.length, spawns: rs[0].spawns,
      median_ms: +median(rs.map((r) => r.median_ms)).toFixed(3),
      ns_per_spawn: +median(rs.map((r) => r.ns_per_spawn)).toFixed(2),
      per_run_ms: rs.map((r) => +r.median_ms.toFixed(2)) });
  }
}
for (const s of summary) {
  const nat = summary.find((x) => x.where === 'native' && x.workers === s.workers);
  s.vs_native = nat ? +(s.median_ms / nat.median_ms).toFixed(2) : null;
  console.log(`| ${s.where} | ${s.workers} | ${s.spawns} | ${s.median_ms} | ${s.ns_per_spawn} | ${s.vs_native ?? ''} |`);
}
for (const s of summary) console.log(JSON.stringify({ bench: 'fib', ...s }));
