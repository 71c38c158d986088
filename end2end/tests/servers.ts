// The servers playwright.config.ts starts, and helpers that act as a person would.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test as base, expect, type BrowserContext, type Page, type Request, type Response } from '@playwright/test';
import { simpleParser, type ParsedMail } from 'mailparser';

// run.sh picks three ports that are free when it starts (E2E_PORTS): a fixed
// port held by a server left running elsewhere fails the whole run.
const ports = (process.env.E2E_PORTS ?? '3100,3101,3102').split(',').map(Number);
export const servers = {
  main: { port: ports[0] },
  limits: { port: ports[1] },
  renewal: { port: ports[2] },
} as const;

export function url(server: keyof typeof servers, path = '/'): string {
  return `http://127.0.0.1:${servers[server].port}${path}`;
}

/** The same page on `localhost`: passkeys need a host name, not an IP address. */
export function localUrl(server: keyof typeof servers, path = '/'): string {
  return `http://localhost:${servers[server].port}${path}`;
}

export { expect };

/**
 * Playwright's `test`, plus: what every page of the test's browser contexts
 * reports as going wrong (console errors and warnings, uncaught errors, failed
 * requests) is printed when the test fails. A page that never hydrates then
 * says why (a panic, a module that did not load) in the test's output.
 */
export const test = base.extend<{ browserErrors: void }>({
  browserErrors: [
    async ({ browser, context }, use, testInfo) => {
      const lines: string[] = [];
      const started = Date.now();
      // Requests sent and not answered yet: a page that never hydrates
      // may be waiting for one of them.
      const pending = new Set<Request>();
      const at = () => `+${((Date.now() - started) / 1000).toFixed(1)}s`;
      const watchPage = (page: Page) => {
        page.on('console', (m) => {
          if (m.type() === 'error' || m.type() === 'warning') {
            lines.push(`${at()} [${page.url()}] console.${m.type()}: ${m.text()}`);
          }
        });
        page.on('pageerror', (e) => lines.push(`${at()} [${page.url()}] uncaught: ${e.message}`));
        page.on('request', (r) => pending.add(r));
        page.on('requestfinished', (r) => pending.delete(r));
        page.on('requestfailed', (r) => {
          pending.delete(r);
          lines.push(`${at()} [${page.url()}] request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`);
        });
      };
      const watch = (c: BrowserContext) => {
        c.pages().forEach(watchPage);
        c.on('page', watchPage);
      };
      watch(context);
      // Contexts a test opens itself, for a second person or browser.
      const newContext = browser.newContext.bind(browser);
      browser.newContext = async (...args: Parameters<typeof newContext>) => {
        const c = await newContext(...args);
        watch(c);
        return c;
      };
      await use();
      browser.newContext = newContext;
      if (testInfo.status !== testInfo.expectedStatus && lines.length + pending.size > 0) {
        // Chromium warns once per unused preload (40 on /account): that says
        // the page's code had not asked for its module yet, and told one by
        // one they push the line that says why out of CI's excerpt.
        const unused = (l: string) => l.includes('was preloaded using link preload but not used');
        const preloads = lines.filter(unused).length;
        const told = lines.filter((l) => !unused(l));
        for (const r of pending) told.push(`still unanswered at the end: ${r.method()} ${r.url()}`);
        if (preloads > 0) told.push(`(and ${preloads} preloaded files not used a few seconds after the load event)`);
        console.log(`browser errors in "${testInfo.title}":\n${told.join('\n')}`);
      }
    },
    { auto: true },
  ],
});

export const PASSWORD = 'correct horse battery staple';

/** The jotpass binary the servers run (and the tests use as the CLI). */
export const BINARY = process.env.JOTPASS_BIN ?? '../target/release/jotpass';

let counter = 0;
/** A username no other test uses (tests of one run share the databases). */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${process.pid}${counter}`;
}

/**
 * Waits until the WASM app has hydrated the server-rendered page. A page
 * outside the main module hydrates once its own module has arrived too; on
 * this 2-core machine, with the other worker's browser busy, that has taken
 * more than the default 10 s once, so the wait is longer.
 */
export async function hydrated(page: Page): Promise<void> {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 20_000 });
}

/** Creates an account through the UI; the app logs in and shows the notes. */
export async function register(
  page: Page,
  server: keyof typeof servers,
  name: string,
  at: typeof url = url,
): Promise<void> {
  await page.goto(at(server, '/register'));
  await hydrated(page);
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(at(server, '/notes'));
  // The URL changes first; the notes page's own module arrives after it.
  // A test that moves on at once would cancel that load midway.
  await expect(page.getByRole('heading', { name: 'Notes', level: 1 })).toBeVisible();
}

/**
 * Logs out through the header's button, lands on /login, and waits for the
 * server's answer: the app forgets the session at once and tells the server
 * after (once the session-upkeep module has arrived), so the next page load
 * could otherwise cancel that request (and its event). Returns the answer.
 * Every test logs out through here. When tests moved on at once and so
 * cancelled logouts midway, some runs saw every later write of that server
 * (registrations, logins) hang. That was a server defect, since fixed: a
 * cancelled `begin` left a transaction open (ARCHITECTURE.md, "A write is
 * never cut off midway"), and a logout now finishes although its page left.
 */
export async function logOut(page: Page): Promise<Response> {
  const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/auth/logout');
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login/);
  const response = await answered;
  expect(response.status()).toBe(204);
  return response;
}

/** Logs in through the UI. */
export async function logIn(
  page: Page,
  server: keyof typeof servers,
  name: string,
  password = PASSWORD,
  at: typeof url = url,
): Promise<void> {
  await page.goto(at(server, '/login'));
  await hydrated(page);
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** The folder a server without JOTPASS_SMTP_URL writes its mails to. */
function outbox(server: keyof typeof servers): string {
  return join(process.env.E2E_DIR!, `${server}-data`, 'outbox');
}

/** Every mail in the server's outbox folder addressed to `to`, oldest first. */
export async function mailsTo(server: keyof typeof servers, to: string): Promise<ParsedMail[]> {
  let files: string[];
  try {
    files = readdirSync(outbox(server)).filter((f) => f.endsWith('.eml')).sort();
  } catch {
    return [];
  }
  const mails = await Promise.all(files.map((f) => simpleParser(readFileSync(join(outbox(server), f)))));
  const addressed = (m: ParsedMail) =>
    [m.to ?? []].flat().some((a) => a.value.some((v) => v.address?.toLowerCase() === to.toLowerCase()));
  return mails.filter(addressed);
}

/** Waits for the `n`th mail to `to` (1-based) and answers it. */
export async function nthMail(server: keyof typeof servers, to: string, n = 1): Promise<ParsedMail> {
  await expect.poll(async () => (await mailsTo(server, to)).length, { timeout: 15_000 }).toBeGreaterThanOrEqual(n);
  return (await mailsTo(server, to))[n - 1];
}

/** Waits for a mail to `to` with this subject (the newest, if several). */
export async function mailWithSubject(server: keyof typeof servers, to: string, subject: string): Promise<ParsedMail> {
  const matching = async () => (await mailsTo(server, to)).filter((m) => m.subject === subject);
  await expect.poll(async () => (await matching()).length, { timeout: 15_000 }).toBeGreaterThan(0);
  return (await matching()).at(-1)!;
}

/** The first link in a mail's text that starts with `prefix`. */
export function linkIn(mail: ParsedMail, prefix: string): string {
  const found = (mail.text ?? '').split(/\s+/).find((word) => word.startsWith(prefix));
  if (!found) throw new Error(`no link starting with ${prefix} in: ${mail.text}`);
  return found;
}
