// The main journey: register, add a note, reload, log out; and the token
// lives in localStorage and travels in x-access-token.
import { expect, hydrated, logOut, register, test, uniqueName, url } from './servers';

test('register, add a note, reload and still see it, then log out', async ({ page }) => {
  const apiCalls: { path: string; token: string | undefined }[] = [];
  page.on('request', (request) => {
    const path = new URL(request.url()).pathname;
    if (path.startsWith('/api/')) apiCalls.push({ path, token: request.headers()['x-access-token'] });
  });

  const name = uniqueName('journey');
  await register(page, 'main', name);
  await expect(page.getByRole('banner')).toContainText(name);

  await page.getByLabel('Title').fill('Groceries');
  await page.getByLabel('Body').fill('Milk, bread');
  await page.getByRole('button', { name: 'Add note' }).click();
  await expect(page.getByRole('link', { name: 'Groceries' })).toBeVisible();

  // The token is in localStorage...
  const stored = await page.evaluate(() => window.localStorage.getItem('jotpass.session'));
  expect(stored).not.toBeNull();
  const session = JSON.parse(stored!);
  expect(session.token.split('.')).toHaveLength(3);
  // ...and every API call that needs a user carried it in x-access-token.
  const notesCalls = apiCalls.filter((c) => c.path === '/api/notes');
  expect(notesCalls.length).toBeGreaterThan(0);
  for (const call of notesCalls) expect(call.token).toBe(session.token);

  await page.reload();
  await hydrated(page);
  await expect(page.getByRole('link', { name: 'Groceries' })).toBeVisible();
  await expect(page.getByRole('banner')).toContainText(name);

  // Open the note, edit it, and come back.
  await page.getByRole('link', { name: 'Groceries' }).click();
  await expect(page.getByLabel('Title')).toHaveValue('Groceries');
  await page.getByLabel('Title').fill('Groceries for Sunday');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('Saved.');
  await page.getByRole('link', { name: '← All notes' }).click();
  await expect(page.getByRole('link', { name: 'Groceries for Sunday' })).toBeVisible();

  const loggedOut = await logOut(page);
  expect(await page.evaluate(() => window.localStorage.getItem('jotpass.session'))).toBeNull();
  expect(loggedOut.request().headers()['x-access-token']).toBe(session.token);
  expect(apiCalls.filter((c) => c.path === '/api/auth/logout')).toHaveLength(1);
});

test('a logged-out visit to /notes lands on /login?next=/notes and returns there after login', async ({ page }) => {
  const name = uniqueName('next');
  await register(page, 'main', name);
  await logOut(page);

  await page.goto(url('main', '/notes'));
  await expect(page).toHaveURL(url('main', '/login?next=/notes'));
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill('correct horse battery staple');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(url('main', '/notes'));
  await expect(page.getByRole('heading', { name: 'Notes' })).toBeVisible();
});

test('the registration form explains problems as you type, in the server\'s words', async ({ page }) => {
  await page.goto(url('main', '/register'));
  await hydrated(page);
  await page.getByLabel('Username').fill('ab');
  await expect(page.locator('#username-help')).toHaveText('Username must be 3 to 32 characters long.');
  await page.getByLabel('Username').fill(uniqueName('typing'));
  await page.getByLabel('Password').fill('short');
  await expect(page.locator('#password-help')).toHaveText('Password must be 8 to 128 characters long.');
  // A common password is the one rule the browser leaves to the server
  // (the list stays out of the page's WASM): its answer shows by the field.
  await page.getByLabel('Password').fill('password');
  await expect(page.locator('#password-help')).toHaveText('At least 8 characters. A long phrase is best.');
  await page.getByRole('button', { name: 'Create account' }).click();
  const common = 'This password is among the most common passwords. Choose another.';
  await expect(page.locator('#password-help')).toHaveText(common);
  // Until the password changes.
  await page.getByLabel('Password').fill('password1234567 and more');
  await expect(page.locator('#password-help')).toHaveText('At least 8 characters. A long phrase is best.');
});

test('an unknown page shows the not-found page', async ({ page }) => {
  const response = await page.goto(url('main', '/no/such/page'));
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
});
