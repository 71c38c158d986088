// The servers playwright.config.ts starts, and helpers that act as a person would.
import { expect, type Page } from '@playwright/test';

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
