// Two-factor authentication and passkeys, as a person uses them: turn TOTP
// on by scanning (here: reading) the key, log in with a code, then with a
// recovery code; add a passkey and log in with it alone, in Chromium with a
// virtual authenticator.
import { createHmac } from 'node:crypto';
import { expect, hydrated, localUrl, logIn, logOut, PASSWORD, register, test, uniqueName, url } from './servers';

/** RFC 4648 base32 (no padding) to bytes. */
function base32(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const c of text.replace(/=+$/, '').toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** The code an authenticator app shows at `time` (RFC 6238, SHA-1, 6 digits, 30 s). */
function totp(secret: string, time = Date.now() / 1000): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(time / 30)));
  const hash = createHmac('sha1', base32(secret)).update(counter).digest();
  const offset = hash[19] & 0x0f;
  const binary = hash.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 1_000_000).padStart(6, '0');
}

test('the test TOTP function matches RFC 6238', () => {
  // The 20-byte ASCII key of Appendix B, in base32; the last 6 of its 8 digits.
  const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
  expect(totp(secret, 59)).toBe('287082');
  expect(totp(secret, 1_111_111_109)).toBe('081804');
  expect(totp(secret, 2_000_000_000)).toBe('279037');
});

test('turn TOTP on, log in with a code, then with a recovery code; a wrong code is explained', async ({ page }) => {
  const name = uniqueName('totp');
  await register(page, 'main', name);
  await page.goto(url('main', '/account'));
  await hydrated(page);
  const section = page.getByRole('region', { name: 'Two-factor authentication' });
  await expect(section).toContainText('Off.');
  await section.getByLabel('Password').fill(PASSWORD);
  await section.getByRole('button', { name: 'Turn on two-factor authentication' }).click();

  // What a phone scans, and the key as text.
  await expect(section.getByRole('img', { name: /QR code/ })).toBeVisible();
  const secret = (await section.locator('[data-totp-secret]').textContent())!.trim();
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  await section.getByLabel('Code from the app').fill(totp(secret));
  await section.getByRole('button', { name: 'Confirm' }).click();
  await expect(section.getByRole('status').first()).toContainText('Two-factor authentication is on');
  const codes = await section.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').allTextContents();
  expect(codes).toHaveLength(10);
  await expect(section.getByRole('link', { name: 'Download' })).toHaveAttribute('download', 'jotpass-recovery-codes.txt');
  await section.getByRole('button', { name: 'Done' }).click();
  await expect(section).toContainText('10 recovery codes left.');

  // Password, then the code (of the next step: the last one was used).
  await logOut(page);
  await logIn(page, 'main', name);
  await expect(page.getByText('Enter the 6-digit code from your authenticator app.')).toBeVisible();
  await page.getByLabel('Code').fill('000000');
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('alert')).toHaveText(/^That code did not work\./);
  await page.getByLabel('Code').fill(totp(secret, Date.now() / 1000 + 30));
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page).toHaveURL(url('main', '/notes'));

  // The phone is lost: a recovery code.
  await logOut(page);
  await logIn(page, 'main', name);
  await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
  await page.getByLabel('Recovery code').fill(codes[0].trim());
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page).toHaveURL(url('main', '/notes'));
  await page.goto(url('main', '/account'));
  await hydrated(page);
  await expect(page.getByRole('region', { name: 'Two-factor authentication' })).toContainText('9 recovery codes left.');
});

test('add a passkey, log out, and sign in with it without typing anything', async ({ context }) => {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  const name = uniqueName('passkey');
  await register(page, 'main', name, localUrl);
  await page.goto(localUrl('main', '/account'));
  await hydrated(page);
  const section = page.getByRole('region', { name: 'Passkeys' });
  await expect(section).toContainText('No passkeys yet.');
  await section.getByLabel('Name of the new passkey').fill('Test laptop');
  await section.getByLabel('Password (to add or remove a passkey)').fill(PASSWORD);
  await section.getByRole('button', { name: 'Add a passkey' }).click();
  await expect(section.getByRole('status')).toHaveText('Passkey added.');
  const list = section.getByRole('list', { name: 'Your passkeys' });
  await expect(list).toContainText('Test laptop');
  await expect(list).toContainText('never used');
  // The authenticator holds one discoverable credential for localhost.
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  expect(credentials).toHaveLength(1);
  expect(credentials[0].isResidentCredential).toBe(true);
  expect(credentials[0].rpId).toBe('localhost');

  await logOut(page);
  await page.goto(localUrl('main', '/login'));
  await hydrated(page);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(page).toHaveURL(localUrl('main', '/notes'));
  await expect(page.getByRole('banner')).toContainText(name);

  // And it can be removed again.
  await page.goto(localUrl('main', '/account'));
  await hydrated(page);
  await expect(list).toContainText('last used');
  await section.getByLabel('Password (to add or remove a passkey)').fill(PASSWORD);
  await section.getByRole('button', { name: 'Remove Test laptop' }).click();
  await expect(section).toContainText('No passkeys yet.');
});
