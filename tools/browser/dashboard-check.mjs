#!/usr/bin/env node
// Opens CMG Lab's live data-flow page in the machine's headless Chromium (playwright-core drives it; it never
// downloads a browser) and reports what the page lit. Driven by a test over stdin/stdout:
//
//   node dashboard-check.mjs --url http://127.N.0.1:8080/ --screenshot out.png [--timeout-ms 60000]
//   stdout  READY                         the page is loaded and its event stream is open
//   stdin   CHECK {"<traceId>":["F3","F4","F5"], ...}
//           waits until, for every trace, each listed step's arrow has lit; then saves the screenshot
//   stdout  RESULT {"ok":true,"traces":{"<traceId>":["F3","F4","F5"]},"arrows":{"F3":"arrow seen",…},…}
//
// Exit 0 when every expected step lit, 1 when one did not in time (RESULT says which), 2 on a usage or browser error.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function parseArgs(argv) {
  const out = { timeoutMs: 60000, executable: process.env.CHROMIUM || '/usr/bin/chromium' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === '--url') { out.url = v; i++; }
    else if (a === '--screenshot') { out.screenshot = v; i++; }
    else if (a === '--timeout-ms') { out.timeoutMs = Number(v); i++; }
    else { throw new Error('unknown argument ' + a + ' (expected: --url URL --screenshot FILE [--timeout-ms N])'); }
  }
  if (!out.url || !out.screenshot) { throw new Error('--url and --screenshot are required'); }
  const u = new URL(out.url);
  if (u.protocol !== 'http:' || !/^127\.\d+\.\d+\.\d+$/.test(u.hostname)) {
    throw new Error('--url: ' + out.url + ' (expected: http:// on a 127.0.0.0/8 address)');
  }
  if (!(out.timeoutMs > 0 && out.timeoutMs <= 600000)) { throw new Error('--timeout-ms: 1..600000'); }
  return out;
}

function say(line) { process.stdout.write(line + '\n'); }

async function main() {
  let opts;
  try { opts = parseArgs(process.argv.slice(2)); } catch (e) { say('ERROR ' + e.message); return 2; }
  const profile = mkdtempSync(join(tmpdir(), 'cmglab-chromium-'));
  let context;
  const problems = [];
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: opts.executable, headless: true, args: FLAGS,
      viewport: { width: 1500, height: 1000 }, timeout: 30000,
    });
    const page = context.pages()[0] || await context.newPage();
    page.on('pageerror', (e) => problems.push('page error: ' + e.message));
    page.on('console', (m) => { if (m.type() === 'error') { problems.push('console error: ' + m.text()); } });
    // nothing but the lab's page: any request to another origin is refused and reported
    const origin = new URL(opts.url).origin;
    await page.route('**/*', (route) => {
      if (new URL(route.request().url()).origin === origin) { return route.continue(); }
      problems.push('request outside the lab: ' + route.request().url());
      return route.abort();
    });
    await page.goto(opts.url, { waitUntil: 'load', timeout: 30000 });
    await page.waitForFunction(() => window.cmglab && window.cmglab.connected, null, { timeout: 30000 });
    say('READY');

    const expected = await readCheck();
    const deadline = Date.now() + opts.timeoutMs;
    let traces = {};
    let ok = false;
    while (Date.now() < deadline) {
      traces = await page.evaluate((ids) => {
        const out = {};
        for (const id of ids) {
          const steps = [];
          for (const l of window.cmglab.lit) {
            if (l.traceId === id && !steps.includes(l.step)) { steps.push(l.step); }
          }
          out[id] = steps;
        }
        return out;
      }, Object.keys(expected));
      ok = Object.entries(expected).every(([id, steps]) => steps.every((s) => traces[id].includes(s)));
      if (ok) { break; }
      await page.waitForTimeout(200);
    }
    // the panels have had a status refresh by now; let the last arrow's animation show in the picture
    await page.waitForTimeout(400);
    const arrows = await page.evaluate(() => {
      const out = {};
      for (const g of document.querySelectorAll('g.arrow')) { out[g.dataset.step] = g.getAttribute('class'); }
      return out;
    });
    const info = await page.evaluate(() => ({
      events: window.cmglab.events.length,
      firstLit: window.cmglab.firstLit,
      failed: window.cmglab.lit.filter((l) => l.outcome !== 'ok').map((l) => l.step + ' ' + l.phase + ' ' + l.outcome),
      statusOk: window.cmglab.statusOk,
      statusError: window.cmglab.statusError,
      requestRows: document.querySelectorAll('#requests tbody tr').length,
      channelRows: document.querySelectorAll('#channels tbody tr').length,
      portRows: document.querySelectorAll('#ports tbody tr').length,
      portsSeen: Array.from(document.querySelectorAll('#ports tbody td.ok')).map((td) => td.textContent),
    }));
    await page.screenshot({ path: opts.screenshot, fullPage: true });
    say('RESULT ' + JSON.stringify(Object.assign({ ok: ok, traces: traces, arrows: arrows, problems: problems }, info)));
    return ok ? 0 : 1;
  } catch (e) {
    say('ERROR ' + (e && e.message ? e.message.split('\n')[0] : String(e)));
    return 2;
  } finally {
    if (context) { await context.close().catch(() => {}); }
    rmSync(profile, { recursive: true, force: true });
  }
}

// The one CHECK line from the test (stdin closing first means: nothing to wait for).
function readCheck() {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: process.stdin });
    rl.on('line', (line) => {
      if (!line.startsWith('CHECK ')) { return; }
      try { resolve(JSON.parse(line.slice(6))); } catch (e) { reject(new Error('CHECK: not JSON: ' + e.message)); }
      rl.close();
      process.stdin.destroy();
    });
    rl.on('close', () => resolve({}));
  });
}

process.exit(await main());
