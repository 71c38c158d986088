// Time from navigation to a hydrated, usable login page in headless Chromium.
// Usage: node end2end/bench/hydration.mjs URL [LOADS]
// Each load uses a fresh browser context (empty cache: the WASM is fetched and
// compiled every time). Prints JSON: every load's figures and the medians.
import { chromium } from '@playwright/test';

const url = process.argv[2];
const loads = Number(process.argv[3] ?? 9);
if (!url) {
  console.error('usage: hydration.mjs URL [LOADS]');
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run',
  ],
});
const runs = [];
for (let i = 0; i < loads; i++) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForSelector('body[data-hydrated="true"]');
  // The page is usable: the login form answers typing.
  await page.getByLabel('Username').fill('someone');
  const figures = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const mark = performance.getEntriesByName('jotpass-hydrated')[0];
    return {
      hydrated_ms: mark.startTime,
      dom_content_loaded_ms: nav.domContentLoadedEventEnd,
      response_end_ms: nav.responseEnd,
    };
  });
  runs.push(figures);
  await context.close();
}
await browser.close();

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
console.log(JSON.stringify({
  loads,
  median_hydrated_ms: median(runs.map((r) => r.hydrated_ms)),
  median_dom_content_loaded_ms: median(runs.map((r) => r.dom_content_loaded_ms)),
  runs,
}));
