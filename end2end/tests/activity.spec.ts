// The activity log in the browser: a person's own, and an admin's view of a user.
import { execFileSync } from 'node:child_process';
import { BINARY, expect, hydrated, logIn, logOut, PASSWORD, register, test, uniqueName, url } from './servers';

test('the activity page lists the login and the failed attempt before it', async ({ page }) => {
  const name = uniqueName('activity');
  await register(page, 'main', name);
  await logOut(page);
  await logIn(page, 'main', name, 'not the password at all');
  await expect(page.getByRole('alert').first()).toContainText('Wrong username or password.');
  await logIn(page, 'main', name);
  await expect(page).toHaveURL(url('main', '/notes'));

  await page.getByRole('link', { name: 'Activity' }).click();
  await expect(page).toHaveURL(url('main', '/activity'));
  const rows = page.locator('table.activity tbody tr');
  await expect(rows).toHaveCount(4);
  // Newest first: this login, the failure, the logout, the first login.
  await expect(rows.nth(0)).toHaveAttribute('data-kind', 'login');
  await expect(rows.nth(1)).toHaveAttribute('data-kind', 'login_failed');
  await expect(rows.nth(1)).toContainText('Wrong password');
  await expect(rows.nth(1)).toContainText('127.0.0.1');
  await expect(rows.nth(1)).toContainText('Chrome on Linux');
  await expect(rows.nth(2)).toHaveAttribute('data-kind', 'logout');
  await expect(rows.nth(3)).toHaveAttribute('data-kind', 'login');
  await expect(page.getByRole('button', { name: 'Load more' })).toHaveCount(0);
});

test('more than a page of events loads with "Load more"', async ({ page, request }) => {
  const name = uniqueName('busy');
  await register(page, 'main', name);
  // 30 more logins through the API (a page is 25 events).
  for (let i = 0; i < 30; i += 1) {
    const answer = await request.post(url('main', '/api/auth/token'), { data: { username: name, password: PASSWORD } });
    expect(answer.status()).toBe(200);
  }
  await page.goto(url('main', '/activity'));
  await hydrated(page);
  const rows = page.locator('table.activity tbody tr');
  await expect(rows).toHaveCount(25);
  await page.getByRole('button', { name: 'Load more' }).click();
  await expect(rows).toHaveCount(31);
  await expect(page.getByRole('button', { name: 'Load more' })).toHaveCount(0);
});

test("an admin sees a user's activity", async ({ browser }) => {
  const admin = uniqueName('admin');
  execFileSync(BINARY, ['user', 'add', admin, '--admin'], {
    input: `${PASSWORD}\n`,
    env: { ...process.env, DATABASE_URL: `sqlite://${process.env.E2E_DIR}/main.db` },
  });
  const plain = uniqueName('watched');
  const userPage = await (await browser.newContext()).newPage();
  await register(userPage, 'main', plain);
  await logOut(userPage);
  await logIn(userPage, 'main', plain, 'a wrong password here');
  await expect(userPage.getByRole('alert').first()).toContainText('Wrong username or password.');

  const adminPage = await (await browser.newContext()).newPage();
  await logIn(adminPage, 'main', admin);
  await expect(adminPage).toHaveURL(url('main', '/notes'));
  await adminPage.goto(url('main', '/admin'));
  await hydrated(adminPage);
  const row = adminPage.getByRole('row').filter({ hasText: plain });
  await row.getByRole('button', { name: 'Activity' }).click();
  const section = adminPage.getByRole('region', { name: `Activity of ${plain}` });
  const rows = section.locator('table.activity tbody tr');
  await expect(rows).toHaveCount(3);
  await expect(rows.nth(0)).toHaveAttribute('data-kind', 'login_failed');
  await expect(rows.nth(1)).toHaveAttribute('data-kind', 'logout');
  await expect(rows.nth(2)).toHaveAttribute('data-kind', 'login');
});
