// The servers playwright.config.ts starts, and helpers that act as a person would.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Page } from '@playwright/test';
import { simpleParser, type ParsedMail } from 'mailparser';

export const servers = {
  main: { port: 3100 },
  limits: { port: 3101 },
  renewal: { port: 3102 },
} as const;

export function url(server: keyof typeof servers, path = '/'): string {
  return `http://127.0.0.1:${servers[server].port}${path}`;
}

/** The same page on `localhost`: passkeys need a host name, not an IP address. */
export function localUrl(server: keyof typeof servers, path = '/'): string {
  return `http://localhost:${servers[server].port}${path}`;
}

export const PASSWORD = 'correct horse battery staple';

/** The jotpass binary the servers run (and the tests use as the CLI). */
export const BINARY = process.env.JOTPASS_BIN ?? '../target/release/jotpass';

let counter = 0;
/** A username no other test uses (tests of one run share the databases). */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${process.pid}${counter}`;
}

/** Waits until the WASM app has hydrated the server-rendered page. */
export async function hydrated(page: Page): Promise<void> {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
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
