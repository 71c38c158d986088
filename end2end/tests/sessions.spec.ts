// Sessions ending: revoked from another browser, logged out in another tab,
// and renewed before they expire.
import { expect, hydrated, logIn, logOut, PASSWORD, register, test, uniqueName, url } from './servers';

test('a session revoked from a second browser sends the first to /login with the notice', async ({ browser }) => {
  const first = await browser.newContext();
  const second = await browser.newContext();
  const a = await first.newPage();
  const b = await second.newPage();
  const name = uniqueName('revoked');

  await register(a, 'main', name);
  await logIn(b, 'main', name);
  await expect(b).toHaveURL(url('main', '/notes'));

  await b.goto(url('main', '/sessions'));
  await hydrated(b);
  await expect(b.getByText('This device')).toBeVisible();
  await expect(b.getByRole('button', { name: 'Sign out', exact: true })).toHaveCount(2);
  await b.getByRole('button', { name: 'Sign out other sessions' }).click();
  await expect(b.getByRole('button', { name: 'Sign out', exact: true })).toHaveCount(1);

  // The first browser finds out by itself (its heartbeat), without a click.
  await expect(a).toHaveURL(/\/login/, { timeout: 15_000 });
  await expect(a.getByRole('alert').first()).toHaveText('Your session has ended. Please log in again.');
  expect(await a.evaluate(() => window.localStorage.getItem('jotpass.session'))).toBeNull();

  await first.close();
  await second.close();
});

test('logging out in one tab shows the login page in the other', async ({ context }) => {
  const one = await context.newPage();
  const two = await context.newPage();
  await register(one, 'main', uniqueName('tabs'));
  await two.goto(url('main', '/notes'));
  await hydrated(two);
  await expect(two.getByRole('heading', { name: 'Notes' })).toBeVisible();

  await one.getByRole('button', { name: 'Log out' }).click();
  await expect(two).toHaveURL(/\/login/, { timeout: 1_000 });
  await expect(two.getByRole('button', { name: 'Log in' })).toBeVisible();
});

test('logging in in one tab reaches the other', async ({ context }) => {
  const name = uniqueName('tabsin');
  const one = await context.newPage();
  await register(one, 'main', name);
  await logOut(one);
  const two = await context.newPage();
  await two.goto(url('main', '/login'));
  await hydrated(two);
  await logIn(one, 'main', name);
  await expect(two).toHaveURL(url('main', '/notes'), { timeout: 1_000 });
});

test('with 3-second access tokens the notes page keeps working for 15 seconds', async ({ page }) => {
  let refreshes = 0;
  page.on('request', (r) => {
    if (new URL(r.url()).pathname === '/api/auth/refresh') refreshes += 1;
  });
  await register(page, 'renewal', uniqueName('renew'));
  await page.getByLabel('Title').fill('Before');
  await page.getByRole('button', { name: 'Add note' }).click();
  await expect(page.getByRole('link', { name: 'Before' })).toBeVisible();

  // Five times the token lifetime passes while the page is open.
  await page.waitForTimeout(15_000);

  await page.getByLabel('Title').fill('After');
  await page.getByRole('button', { name: 'Add note' }).click();
  await expect(page.getByRole('link', { name: 'After' })).toBeVisible();
  await expect(page).toHaveURL(url('renewal', '/notes'));
  expect(refreshes).toBeGreaterThanOrEqual(4);
});

test('while the session-upkeep code cannot be fetched an expiring session stays, and renews once it can', async ({ page }) => {
  // Renewal lives in a split-off module that /login never fetches
  // (`session_upkeep`): failing to fetch it must be a network error, never
  // a logout.
  const upkeep = '**/pkg/split_session_upkeep.wasm';
  let blocked = 0;
  await page.route(upkeep, (route) => {
    blocked += 1;
    return route.abort();
  });
  let refreshes = 0;
  page.on('request', (r) => {
    if (new URL(r.url()).pathname === '/api/auth/refresh') refreshes += 1;
  });
  await register(page, 'renewal', uniqueName('upkeep'));

  // Twice the token lifetime: renewal was tried and could not load.
  await page.waitForTimeout(6_000);
  expect(blocked).toBeGreaterThanOrEqual(1);
  expect(refreshes).toBe(0);
  await page.getByLabel('Title').fill('Offline');
  await page.getByRole('button', { name: 'Add note' }).click();
  await expect(page.getByRole('alert')).toHaveText('The server could not be reached. Try again.');
  await expect(page).toHaveURL(url('renewal', '/notes'));
  expect(await page.evaluate(() => window.localStorage.getItem('jotpass.session'))).not.toBeNull();

  await page.unroute(upkeep);
  await page.getByRole('button', { name: 'Add note' }).click();
  await expect(page.getByRole('link', { name: 'Offline' })).toBeVisible();
  expect(refreshes).toBeGreaterThanOrEqual(1);
  await expect(page).toHaveURL(url('renewal', '/notes'));
});

test('changing the password keeps this browser logged in', async ({ page }) => {
  const name = uniqueName('chpw');
  await register(page, 'main', name);
  await page.goto(url('main', '/account'));
  await hydrated(page);
  await page.getByLabel('Current password').fill(PASSWORD);
  await page.getByLabel('New password').fill('an even longer passphrase');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByRole('region', { name: 'Change password' }).getByRole('status')).toContainText('Password changed');
  await page.getByRole('link', { name: 'Notes' }).click();
  await expect(page.getByRole('heading', { name: 'Notes' })).toBeVisible();
});
