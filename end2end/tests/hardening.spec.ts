// What an attacker would try from the outside: a phishing `next` after login,
// locking a person out by guessing, and what racing tabs do to a session.
import { expect, hydrated, logIn, logOut, PASSWORD, register, test, uniqueName, url } from './servers';

/** `next` values that a string check lets through but a browser reads as another site. */
const HOSTILE_NEXT = [
  '/\\example.com',
  '/%5Cexample.com',
  '/\\/example.com',
  '/%09/example.com',
  '/%0A/example.com',
  '//example.com',
  '/%2F/example.com',
  '\\\\example.com',
  'https://example.com/notes',
  'javascript:alert(1)',
];
/** What the URL spec makes of a same-scheme reference without slashes: a path of this site. */
const SAME_SITE_NEXT = [['http:example.com', '/example.com']] as const;

test('after login, a hostile next lands on this site, and a good one is followed', async ({ page }) => {
  const name = uniqueName('next');
  await register(page, 'main', name);
  await logOut(page);
  for (const next of HOSTILE_NEXT) {
    await page.goto(url('main', `/login?next=${next}`));
    await hydrated(page);
    await page.getByLabel('Username').fill(name);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page, next).toHaveURL(url('main', '/notes'));
    await logOut(page);
  }
  for (const [next, lands] of SAME_SITE_NEXT) {
    await page.goto(url('main', `/login?next=${next}`));
    await hydrated(page);
    await page.getByLabel('Username').fill(name);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page, next).toHaveURL(url('main', lands));
    await page.goto(url('main', '/notes'));
    await hydrated(page);
    await logOut(page);
  }
  await page.goto(url('main', '/login?next=/sessions'));
  await hydrated(page);
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(url('main', '/sessions'));
});

test("a device token gets its owner past a username lockout while a stranger's attempts stay 429", async ({ browser }) => {
  const owner = await browser.newContext({ extraHTTPHeaders: { 'x-forwarded-for': '198.51.100.20' } });
  const stranger = await browser.newContext({ extraHTTPHeaders: { 'x-forwarded-for': '203.0.113.20' } });
  const mine = await owner.newPage();
  const theirs = await stranger.newPage();
  const name = uniqueName('owner');

  // The owner's browser logs in once (registration does) and keeps a device token.
  await register(mine, 'limits', name);
  await logOut(mine);
  const devices = await mine.evaluate(() => window.localStorage.getItem('jotpass.devices'));
  expect(JSON.parse(devices!)[name]).toBeTruthy();

  // A stranger guesses until the username is locked.
  for (let i = 0; i < 2; i++) {
    await logIn(theirs, 'limits', name, 'a wrong guess!');
    await expect(theirs.getByRole('alert')).toHaveText('Wrong username or password.');
  }
  await logIn(theirs, 'limits', name);
  await expect(theirs.getByRole('alert')).toHaveText(/^Too many attempts\./);

  // The owner still gets in from the browser they already use…
  await logIn(mine, 'limits', name);
  await expect(mine).toHaveURL(url('limits', '/notes'));
  // …and the stranger, even with the right password, does not.
  await logIn(theirs, 'limits', name);
  await expect(theirs.getByRole('alert')).toHaveText(/^Too many attempts\./);
  await expect(theirs).toHaveURL(/\/login/);

  await owner.close();
  await stranger.close();
});

test('two tabs refreshing at once are both still logged in', async ({ context }) => {
  const one = await context.newPage();
  const two = await context.newPage();
  await register(one, 'renewal', uniqueName('racing'));
  await two.goto(url('renewal', '/notes'));
  await hydrated(two);
  // Take away the cross-tab lease as fast as either tab sets it, so both
  // tabs refresh with the same token at the same moments (3-second tokens)…
  for (const tab of [one, two]) {
    await tab.evaluate(() => {
      setInterval(() => window.localStorage.removeItem('jotpass.refresh_lease'), 5);
    });
  }
  // …and hold the first tab's answers back, as a slow network would, so
  // that the second tab's refresh overlaps it and cannot adopt its result.
  await one.route('**/api/auth/refresh', async (route) => {
    const response = await route.fetch();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await route.fulfill({ response });
  });
  // Every refresh answer, and every page either tab shows on the way: a tab
  // that is logged out even for a moment visits /login.
  const answers: number[] = [];
  context.on('response', (r) => {
    if (new URL(r.url()).pathname === '/api/auth/refresh') answers.push(r.status());
  });
  const visited: string[] = [];
  for (const tab of [one, two]) {
    tab.on('framenavigated', (frame) => {
      if (frame === tab.mainFrame()) visited.push(frame.url());
    });
  }
  await one.waitForTimeout(12_000);
  expect(answers.length).toBeGreaterThanOrEqual(4);
  expect(answers.filter((status) => status !== 200), `answers ${answers}`).toEqual([]);
  expect(visited.filter((u) => u.includes('/login')), `visited ${visited}`).toEqual([]);
  // A reload disposes a response the route still holds back, and the handler's
  // fulfill then throws: let the held answers go through first, then stop holding.
  await one.unrouteAll({ behavior: 'wait' });
  for (const tab of [one, two]) {
    await expect(tab).toHaveURL(url('renewal', '/notes'));
    await expect(tab.getByRole('alert')).toHaveCount(0);
    expect(await tab.evaluate(() => window.localStorage.getItem('jotpass.session'))).not.toBeNull();
    await tab.reload();
    await hydrated(tab);
    await expect(tab.getByRole('heading', { name: 'Notes' })).toBeVisible();
    await expect(tab.getByText('No notes yet.')).toBeVisible();
  }
});

test('the wasm, the JS and the CSS arrive compressed', async ({ page }) => {
  const assets = new Map<string, { encoding?: string; vary?: string }>();
  page.on('response', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/pkg/')) {
      assets.set(path, { encoding: r.headers()['content-encoding'], vary: r.headers()['vary'] });
    }
  });
  await page.goto(url('main', '/login'));
  await hydrated(page);
  for (const ending of ['.wasm', '.js', '.css']) {
    const found = [...assets.entries()].find(([path]) => path.endsWith(ending));
    expect(found, `a ${ending} file was fetched: ${[...assets.keys()]}`).toBeTruthy();
    const [path, headers] = found!;
    expect(headers.encoding, path).toBe('br');
    expect(headers.vary ?? '', path).toContain('accept-encoding');
  }
});
