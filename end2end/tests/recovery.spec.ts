// Getting back in, through the mail the main server writes to its outbox
// folder (no mail server: the first-run default): confirming an address,
// "Forgot password?" to a new password, and the alert a new browser causes.
import { type Browser, type Page } from '@playwright/test';
import { expect, hydrated, linkIn, localUrl, logIn, mailsTo, mailWithSubject, nthMail, PASSWORD, register, test, uniqueName } from './servers';

/** Sets `address` on /account and follows the link in the mail: verified. */
async function confirmAddress(page: Page, address: string): Promise<void> {
  await page.goto(localUrl('main', '/account'));
  await hydrated(page);
  const section = page.getByRole('region', { name: 'E-mail' });
  await expect(section).toContainText('No address yet.');
  await section.getByLabel('New address').fill(address);
  await section.getByLabel('Password').fill(PASSWORD);
  await section.getByRole('button', { name: 'Send a confirmation link' }).click();
  await expect(section.getByRole('status')).toContainText(`We sent a link to ${address}`);
  // Nothing changes before the link is used.
  await expect(section).toContainText('No address yet.');

  const mail = await nthMail('main', address);
  expect(mail.subject).toContain('Confirm your e-mail address');
  const link = linkIn(mail, localUrl('main', '/verify-email?token='));
  await page.goto(link);
  await hydrated(page);
  await expect(page.getByRole('status')).toContainText('Your e-mail address is confirmed.');
  // The token is gone from the address bar.
  expect(page.url()).toBe(localUrl('main', '/verify-email'));

  await page.goto(localUrl('main', '/account'));
  await hydrated(page);
  await expect(section).toContainText(`Your address: ${address} Verified`);
}

async function userWithAddress(browser: Browser): Promise<{ page: Page; name: string; address: string }> {
  const name = uniqueName('mail');
  const address = `${name}@mail.example`;
  const page = await (await browser.newContext()).newPage();
  await register(page, 'main', name, localUrl);
  await confirmAddress(page, address);
  return { page, name, address };
}

test('an address is confirmed by the link in the mail, and a used link says so', async ({ browser }) => {
  const { page, address } = await userWithAddress(browser);
  const link = linkIn(await nthMail('main', address), localUrl('main', '/verify-email?token='));
  await page.goto(link);
  await hydrated(page);
  await expect(page.getByRole('alert')).toContainText('This link does not work any more');
});

test('forgot password: the mailed link sets a new password and ends every other session', async ({ browser }) => {
  const { page: other, name, address } = await userWithAddress(browser);
  const page = await (await browser.newContext()).newPage();

  await page.goto(localUrl('main', '/login'));
  await hydrated(page);
  await page.getByRole('link', { name: 'Forgot password?' }).click();
  await expect(page).toHaveURL(localUrl('main', '/forgot'));
  await page.getByLabel('Username or e-mail address').fill(name);
  await page.getByRole('button', { name: 'Send the link' }).click();
  await expect(page.getByRole('status')).toContainText('a link to set a new password is on its way');

  const mail = await mailWithSubject('main', address, 'Reset your jotpass password');
  const link = linkIn(mail, localUrl('main', '/reset?token='));
  const response = await page.goto(link);
  expect(response!.headers()['referrer-policy']).toBe('no-referrer');
  await hydrated(page);
  // Read once, then removed from the address bar.
  await expect(page).toHaveURL(localUrl('main', '/reset'));

  const newPassword = 'a brand new passphrase';
  await page.getByLabel('New password').fill(newPassword);
  await page.getByRole('button', { name: 'Set the password' }).click();
  await expect(page).toHaveURL(localUrl('main', '/login'));
  await expect(page.getByRole('alert').first()).toContainText('Your password was reset');

  await logIn(page, 'main', name, PASSWORD, localUrl);
  await expect(page.getByRole('alert').first()).toContainText('Wrong username or password.');
  await logIn(page, 'main', name, newPassword, localUrl);
  await expect(page).toHaveURL(localUrl('main', '/notes'));

  // The browser that was logged in before is signed out.
  await other.goto(localUrl('main', '/notes'));
  await expect(other).toHaveURL(/\/login/);
  await expect(other.getByRole('alert').first()).toHaveText('Your session has ended. Please log in again.');

  // The link worked once.
  await page.goto(link);
  await hydrated(page);
  await page.getByLabel('New password').fill('yet another passphrase');
  await page.getByRole('button', { name: 'Set the password' }).click();
  await expect(page.getByRole('alert').first()).toContainText('This link does not work any more');
});

test('a login from a new browser mails an alert that links to the sessions', async ({ browser }) => {
  const { name, address } = await userWithAddress(browser);
  const alerts = async () =>
    (await mailsTo('main', address)).filter((m) => m.subject === 'New sign-in to your jotpass account');
  expect(await alerts()).toHaveLength(0);

  const elsewhere = await (
    await browser.newContext({
      userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
    })
  ).newPage();
  await logIn(elsewhere, 'main', name, PASSWORD, localUrl);
  await expect(elsewhere).toHaveURL(localUrl('main', '/notes'));
  await expect.poll(async () => (await alerts()).length, { timeout: 15_000 }).toBe(1);
  const [alert] = await alerts();
  expect(alert.text).toContain('Firefox on Windows');
  expect(alert.text).toContain(localUrl('main', '/sessions'));
});
