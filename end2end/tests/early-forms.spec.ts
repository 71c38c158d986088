// Before the app has hydrated, no form may put a field in a URL: every form
// posts to its page, its button waits for the app, and the server answers an
// early POST with the page again and a notice (the username kept, never the
// password). Once the wasm arrives, the forms work as before.
import { type Page, type Request } from '@playwright/test';
import { expect, hydrated, PASSWORD, test, uniqueName, url } from './servers';

const NOTICE = 'The page was still loading, so nothing was done. Please try again.';

/** The forms with a secret that exist before hydration, and their fields. */
const FORMS = [
  { path: '/login', button: 'Log in' },
  { path: '/register', button: 'Create account' },
] as const;

/** Every request the page makes, to check that none carries a field in its URL. */
function watchRequests(page: Page): Request[] {
  const seen: Request[] = [];
  page.on('request', (r) => seen.push(r));
  return seen;
}

function assertNoFieldInAnyUrl(requests: Request[], values: string[]): void {
  for (const request of requests) {
    for (const value of values) {
      expect(request.url(), `${request.method()} ${request.url()}`).not.toContain(encodeURIComponent(value));
      expect(request.url()).not.toContain(value);
    }
  }
}

async function blockWasm(page: Page): Promise<void> {
  await page.route('**/*.wasm', (route) => route.abort());
}

/** Holds the wasm back until `release()` is called. */
async function holdWasm(page: Page): Promise<() => void> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/*.wasm', async (route) => {
    await released;
    await route.continue();
  });
  return release;
}

for (const form of FORMS) {
  test(`${form.path}: before the app loads, Enter and a click send nothing and the button says why`, async ({ page }) => {
    const requests = watchRequests(page);
    await blockWasm(page);
    await page.goto(url('main', form.path));
    const name = uniqueName('early');
    const secret = `early-secret-${name}`;
    await page.getByLabel('Username').fill(name);
    await page.getByLabel('Password').fill(secret);
    const button = page.locator('form button[type=submit]');
    await expect(button).toBeDisabled();
    await expect(button).toHaveText('Loading…');
    await expect(page.getByText('The page is still loading.')).toBeVisible();

    await page.getByLabel('Password').press('Enter');
    await button.click({ force: true });
    await page.waitForTimeout(500);
    expect(page.url()).toBe(url('main', form.path));
    expect(await page.evaluate(() => window.location.search)).toBe('');
    assertNoFieldInAnyUrl(requests, [name, secret]);
  });

  test(`${form.path}: a form submitted before the app loads is posted, answered with a notice, and nothing leaks`, async ({ page }) => {
    const requests = watchRequests(page);
    await blockWasm(page);
    await page.goto(url('main', form.path));
    const name = uniqueName('posted');
    const secret = `posted-secret-${name}`;
    await page.getByLabel('Username').fill(name);
    await page.getByLabel('Password').fill(secret);
    // What a browser does if the button were enabled: submit the form itself.
    const answered = page.waitForResponse((r) => r.request().method() === 'POST');
    await page.evaluate(() => document.querySelector('form')!.requestSubmit());
    const response = await answered;
    expect(response.headers()['cache-control']).toBe('no-store');
    expect(await response.text()).not.toContain(secret);
    await expect(page.getByRole('alert').first()).toHaveText(NOTICE);
    expect(page.url()).toBe(url('main', form.path));
    assertNoFieldInAnyUrl(requests, [name, secret]);
    // The browser's history holds no URL with a field in it.
    expect(await page.evaluate(() => window.location.href)).not.toContain(secret);
  });
}

test('once the held-back wasm arrives, what was typed is kept and the login works', async ({ page }) => {
  const requests = watchRequests(page);
  const name = uniqueName('late');
  // Register through the API: this test is about the login form.
  const created = await page.request.post(url('main', '/api/users'), { data: { username: name, password: PASSWORD } });
  expect(created.status()).toBe(201);

  const release = await holdWasm(page);
  await page.goto(url('main', '/login'));
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByLabel('Password').press('Enter');
  await page.waitForTimeout(300);
  expect(page.url()).toBe(url('main', '/login'));

  release();
  await hydrated(page);
  await expect(page.getByRole('button', { name: 'Log in' })).toBeEnabled();
  await expect(page.getByLabel('Username')).toHaveValue(name);
  await page.getByLabel('Password').press('Enter');
  await expect(page).toHaveURL(url('main', '/notes'));
  assertNoFieldInAnyUrl(requests, [PASSWORD]);
});

test('after an early POST, the app keeps the username, shows the notice, and logs in', async ({ page }) => {
  const name = uniqueName('again');
  const created = await page.request.post(url('main', '/api/users'), { data: { username: name, password: PASSWORD } });
  expect(created.status()).toBe(201);

  const release = await holdWasm(page);
  await page.goto(url('main', '/login'));
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.evaluate(() => document.querySelector('form')!.requestSubmit());
  // The server's answer shows its notice before any wasm has run.
  await expect(page.locator('#posted-notice')).toHaveText(NOTICE);
  await expect(page.getByLabel('Password')).toHaveValue('');

  release();
  await hydrated(page);
  await expect(page.getByRole('alert').first()).toHaveText(NOTICE);
  await expect(page.getByLabel('Username')).toHaveValue(name);
  await expect(page.getByLabel('Password')).toHaveValue('');
  // The server's copy of the notice, outside the app, is gone once the app took it over.
  await expect(page.locator('#posted-notice')).toHaveCount(0);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(url('main', '/notes'));
});

test('the account page shows no form before the app has read the session', async ({ page }) => {
  await blockWasm(page);
  await page.goto(url('main', '/account'));
  await expect(page.getByText('Loading…').first()).toBeVisible();
  await expect(page.locator('input[type=password]')).toHaveCount(0);
});
