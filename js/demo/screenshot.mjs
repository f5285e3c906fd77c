// Takes the README's screenshot of the demo page: starts the static server,
// opens the page in Debian's headless chromium (playwright-core, installed
// in js/test/browser by scripts/setup.sh), waits for the timings, saves a PNG.
//   node js/demo/screenshot.mjs [out.png]    (default docs/img/demo.png)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../tools/serve.mjs';
import { launchChromium, newPage } from '../test/browser/chromium.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = path.resolve(process.argv[2] || path.join(repo, 'docs/img/demo.png'));
fs.mkdirSync(path.dirname(out), { recursive: true });
const server = await startServer();
const browser = await launchChromium();
try {
  const log = [];
  const page = await newPage(browser, log);
  await page.setViewportSize({ width: 1480, height: 700 });
  await page.goto(`${server.url}/js/demo/`);
  const result = await page.evaluate(() => window.weftDemo);
  if (!result.ok) throw new Error(`the demo's renders do not match the oracle: ${JSON.stringify(result)}\n${log.join('\n')}`);
  await page.screenshot({ path: out });
  for (const r of result.rows) console.log(`${String(r.label ?? r.workers).padEnd(22)} ${r.ms.toFixed(1).padStart(8)} ms  ${r.perWorker ? r.perWorker.join('/') : ''}`);
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await server.close();
}
