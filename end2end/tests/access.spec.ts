// Who sees what: admins and plain users, and the messages for refused logins.
import { execFileSync } from 'node:child_process';
import { BINARY, expect, hydrated, logIn, logOut, PASSWORD, register, test, uniqueName, url } from './servers';

test('an admin sees the admin page; a plain user sees no link and a refusal by URL', async ({ browser }) => {
  const admin = uniqueName('admin');
  // Only the command line grants admin.
  execFileSync(BINARY, ['user', 'add', admin, '--admin'], {
    input: `${PASSWORD}\n`,
    env: { ...process.env, DATABASE_URL: `sqlite://${process.env.E2E_DIR}/main.db` },
  });
  const plain = uniqueName('plain');

  const adminPage = await (await browser.newContext()).newPage();
  await logIn(adminPage, 'main', admin);
  await expect(adminPage).toHaveURL(url('main', '/notes'));
  await adminPage.getByRole('link', { name: 'Admin' }).click();
  await expect(adminPage.getByRole('heading', { name: 'Users' })).toBeVisible();
  await expect(adminPage.getByRole('cell', { name: admin })).toBeVisible();

  const userPage = await (await browser.newContext()).newPage();
  await register(userPage, 'main', plain);
  await expect(userPage.getByRole('link', { name: 'Admin' })).toHaveCount(0);
  await userPage.goto(url('main', '/admin'));
  await hydrated(userPage);
  await expect(userPage.getByRole('alert')).toHaveText('You do not have access to this page.');

  // The admin signs the user out everywhere; the user's next call ends the session.
  await adminPage.reload();
  await hydrated(adminPage);
  const row = adminPage.getByRole('row').filter({ hasText: plain });
  await expect(row.getByRole('cell').nth(2)).toHaveText('1');
  await row.getByRole('button', { name: 'Sign out everywhere' }).click();
  await expect(row.getByRole('cell').nth(2)).toHaveText('0');
  await userPage.goto(url('main', '/notes'));
  await expect(userPage).toHaveURL(/\/login/);
  await expect(userPage.getByRole('alert').first()).toHaveText('Your session has ended. Please log in again.');
});

test('a wrong password and too many attempts are explained on the login page', async ({ page }) => {
  const name = uniqueName('limit');
  await register(page, 'limits', name);
  await logOut(page);

  for (let i = 0; i < 2; i++) {
    await logIn(page, 'limits', name, 'not the password');
    await expect(page.getByRole('alert')).toHaveText('Wrong username or password.');
  }
  await logIn(page, 'limits', name);
  await expect(page.getByRole('alert')).toHaveText(/^Too many attempts\. Try again in \d+ seconds\.$/);
  await expect(page).toHaveURL(/\/login/);
});
