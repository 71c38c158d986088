// What the first pages cost a browser: bytes on the wire and time to hydrate.
// Usage: node end2end/bench/pages.mjs BASE_URL [LOADS]
//
// Every load is a fresh browser context (empty cache: everything is fetched,
// and the WASM compiled, every time). Bytes are what Chromium received for
// every request of the page until it hydrated and the network went quiet
// (`encodedDataLength`: headers and the body as sent, compressed), read from
// DevTools' Network events. Logged-in pages get the session of a user
// registered once through the UI, put in localStorage before the page loads.
// Prints JSON.
import { chromium } from '@playwright/test';
import { countWire } from './wire.mjs';

const base = process.argv[2];
const loads = Number(process.argv[3] ?? 9);
if (!base) {
  console.error('usage: pages.mjs BASE_URL [LOADS]');
  process.exit(2);
}
const SESSION_KEY = 'jotpass.session';

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run',
  ],
});

/** Registers a user through the UI and returns the stored session. */
async function session() {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/register`);
  await page.waitForSelector('body[data-hydrated="true"]');
  await page.getByLabel('Username').fill(`bench${Date.now()}`);
  await page.getByLabel('Password').fill('correct horse battery staple');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL('**/notes');
  const stored = await page.evaluate((key) => window.localStorage.getItem(key), SESSION_KEY);
  await context.close();
  return stored;
}

/** One cold load of `path`: bytes per resource, and the times to hydration. */
async function load(path, { stored = null, throttle = 1 } = {}) {
  const context = await browser.newContext();
  if (stored) {
    await context.addInitScript(([key, value]) => window.localStorage.setItem(key, value), [SESSION_KEY, stored]);
  }
  const page = await context.newPage();
  const { cdp, fetched } = await countWire(page);
  if (throttle > 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: throttle });
  await page.goto(`${base}${path}`);
  await page.waitForSelector('body[data-hydrated="true"]');
  const figures = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const mark = performance.getEntriesByName('jotpass-hydrated')[0];
    return { hydrated_ms: mark.startTime, dom_content_loaded_ms: nav.domContentLoadedEventEnd };
  });
  // What the page fetched right after hydrating (its API calls) is part of
  // showing it.
  await page.waitForLoadState('networkidle');
  const resources = fetched()
    .filter((f) => f.bytes !== undefined)
    .map((f) => ({ url: f.url.replace(base, ''), bytes: f.bytes }));
  await context.close();
  return { ...figures, bytes: resources.reduce((sum, r) => sum + r.bytes, 0), resources };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const stored = await session();
const weight = {};
for (const [name, path, signedIn] of [['login', '/login', false], ['notes', '/notes', true], ['account', '/account', true]]) {
  weight[name] = await load(path, { stored: signedIn ? stored : null });
}
const hydration = {};
for (const throttle of [1, 4]) {
  const runs = [];
  for (let i = 0; i < loads; i++) runs.push(await load('/login', { throttle }));
  hydration[`cpu_${throttle}x`] = {
    median_hydrated_ms: median(runs.map((r) => r.hydrated_ms)),
    median_dom_content_loaded_ms: median(runs.map((r) => r.dom_content_loaded_ms)),
    hydrated_ms: runs.map((r) => r.hydrated_ms),
  };
}
await browser.close();
console.log(JSON.stringify({ loads, weight, hydration }));
