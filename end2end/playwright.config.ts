// Browser tests against real jotpass servers (the release binary and the
// precompressed site built by `cargo leptos build --release --precompress --split`,
// as deployed), in Debian's headless Chromium.
//
// Three servers, each with its own fresh database (in $E2E_DIR) and port
// ($E2E_PORTS; run.sh picks free ones, 3100-3102 without it):
//   main     generous limits, the usual token lifetime
//   limits   JOTPASS_LOGIN_LIMIT=2/5m, to see the 429 message (and
//            JOTPASS_TRUST_PROXY, so a test can come from other addresses)
//   renewal  JOTPASS_ACCESS_TTL=3s, to see tokens renewed
// Limits count per client address and every browser here is 127.0.0.1, so
// the limit test gets a server of its own.
import { defineConfig } from '@playwright/test';
import { BINARY, servers } from './tests/servers';

const dir = process.env.E2E_DIR;
if (!dir) throw new Error('E2E_DIR is not set: run the tests with end2end/run.sh');

function server(name: keyof typeof servers, extra: Record<string, string>) {
  const { port } = servers[name];
  return {
    command: BINARY,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore' as const,
    stderr: 'pipe' as const,
    env: {
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: '../target/site',
      DATABASE_URL: `sqlite://${dir}/${name}.db`,
      JOTPASS_DATA_DIR: `${dir}/${name}-data`,
      RUST_LOG: 'warn',
      ...extra,
    },
  };
}

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 2,
  retries: 0,
  reporter: [['list']],
  use: {
    headless: true,
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
    trace: 'off',
  },
  webServer: [
    // Passkeys are bound to the host of JOTPASS_PUBLIC_URL: tests that use
    // them open the app on localhost.
    server('main', {
      JOTPASS_LOGIN_LIMIT: '1000/5m',
      JOTPASS_REGISTER_LIMIT: '1000/1h',
      JOTPASS_PUBLIC_URL: `http://localhost:${servers.main.port}`,
    }),
    // Trusts X-Forwarded-For, so a test can be a stranger at another address.
    server('limits', {
      JOTPASS_LOGIN_LIMIT: '2/5m',
      JOTPASS_REGISTER_LIMIT: '1000/1h',
      JOTPASS_TRUST_PROXY: 'true',
    }),
    server('renewal', {
      JOTPASS_ACCESS_TTL: '3s',
      JOTPASS_LOGIN_LIMIT: '1000/5m',
      JOTPASS_REGISTER_LIMIT: '1000/1h',
    }),
  ],
});
