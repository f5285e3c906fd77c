// Starts Debian's headless chromium through playwright-core, the way weft's
// browser tests, screenshot and benchmark all run it. Run as root, chromium
// needs --no-sandbox; a fresh profile per launch keeps runs independent.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.WEFT_CHROMIUM || '/usr/bin/chromium';

// True if this process runs under a real-time policy (chrt -f / -r): field
// 41 of /proc/self/stat (0 SCHED_OTHER, 1 SCHED_FIFO, 2 SCHED_RR).
function realTime() {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const policy = Number(fields[41 - 3]);
    return policy === 1 || policy === 2;
  } catch {
    return false;
  }
}

// Chromium must not inherit SCHED_FIFO: on this VM its zygote, reaping a
// child at start-up, once spun for minutes in the kernel (wait4 ->
// release_task -> shrink_dcache_parent) against tasks its priority starved,
// unkillable, until it was moved back to SCHED_OTHER. Under chrt the browser
// is started through a wrapper that resets its policy.
function executable(profile) {
  if (!realTime()) return CHROMIUM;
  const wrapper = path.join(profile, 'chromium-sched-other.sh');
  fs.writeFileSync(wrapper, `#!/bin/sh\nexec chrt -o 0 '${CHROMIUM.replace(/'/g, "'\\''")}' "$@"\n`, { mode: 0o755 });
  return wrapper;
}

// Resolves to a browser context (newPage(), close()) on a fresh profile
// directory, removed again by close(). playwright-core takes the profile
// as launchPersistentContext's userDataDir (it refuses --user-data-dir).
export async function launchChromium() {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (scripts/setup.sh) or set WEFT_CHROMIUM`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: executable(profile),
      headless: true,
      timeout: 60000,
      viewport: { width: 1280, height: 800 },
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
  } catch (e) {
    fs.rmSync(profile, { recursive: true, force: true });
    throw e;
  }
  context.weftProfile = profile;
  const close = context.close.bind(context);
  context.close = async () => {
    try {
      await close();
    } finally {
      fs.rmSync(profile, { recursive: true, force: true });
    }
  };
  return context;
}

// A new page that copies the page's console errors and uncaught exceptions
// to `log` (an array), for failure messages.
export async function newPage(browser, log = []) {
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') log.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
  return page;
}
