// What a page costs on the wire, counted the same way by the benchmark
// (bench/pages.mjs) and by the size budget test (tests/budget.spec.ts).

/**
 * Turns the browser cache off for `page` and starts counting what it
 * receives: each request's URL, its `content-encoding`, and its bytes as
 * received (DevTools' `encodedDataLength`: headers and the body as sent,
 * compressed), known once the request has finished. Returns the DevTools
 * session (for more settings, e.g. CPU throttling) and a function that lists
 * what was fetched so far.
 */
export async function countWire(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  const fetched = new Map();
  cdp.on('Network.requestWillBeSent', (e) => fetched.set(e.requestId, { url: e.request.url }));
  cdp.on('Network.responseReceived', (e) => {
    const entry = fetched.get(e.requestId);
    if (!entry) return;
    const encoding = Object.entries(e.response.headers).find(
      ([name]) => name.toLowerCase() === 'content-encoding',
    );
    entry.encoding = encoding?.[1];
  });
  cdp.on('Network.loadingFinished', (e) => {
    const entry = fetched.get(e.requestId);
    if (entry) entry.bytes = e.encodedDataLength;
  });
  return { cdp, fetched: () => [...fetched.values()] };
}
