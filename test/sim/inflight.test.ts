import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetch } from 'undici';
import { afterEach, describe, expect, test } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import { nodeTransport } from '../../src/kube/transport-node.js';
import { trackRequests } from '../../src/sim/inflight.js';
import { eventually, quiet } from '../support/eventually.js';

// A server that does not hold the clock and answers after 30 real ms: without client-side tracking the
// auto-advancing clock sees nothing happening and jumps while the client still waits.
let server: Server | undefined;
/** Paths the server has received, so a test can wait for a request to be on the wire. */
let received: string[] = [];
/** An auto-advancing virtual clock that requests to `url` hold while they are in flight. */
function trackedClock(url: string) {
  const clock = new VirtualClock({ start: 0, autoAdvance: true });
  return {
    clock,
    untrack: trackRequests(
      url,
      () => clock.hold(),
      () => clock.touch(),
    ),
  };
}

async function slowServer(): Promise<string> {
  received = [];
  server = createServer((req, res) => {
    received.push(req.url ?? '');
    if (req.url?.includes('watch=true')) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders(); // a watch: headers now, events later (never, here)
      return;
    }
    if (req.url === '/hang') return; // never answers
    setTimeout(() => res.end('{"ok":true}'), 30);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

describe('trackRequests', () => {
  test('holds auto-advance while a request to the origin awaits its response', async () => {
    const url = await slowServer();
    const { clock, untrack } = trackedClock(url);
    try {
      let fired = false;
      clock.sleep(60_000).then(() => (fired = true));
      const answer = await fetch(`${url}/slow`).then((r) => r.json());
      expect(answer).toEqual({ ok: true });
      expect(fired).toBe(false);
      expect(clock.now()).toBe(0);
      await eventually(() => expect(fired).toBe(true));
    } finally {
      untrack();
      clock.dispose();
    }
  });

  test('a watch holds only until its headers; other origins and untracked clocks are not held', async () => {
    const url = await slowServer();
    const clock = new VirtualClock({ start: 0, autoAdvance: true });
    const untrack = trackRequests(
      'http://127.0.0.1:1',
      () => clock.hold(),
      () => clock.touch(),
    );
    const untrackWatch = trackRequests(
      url,
      () => clock.hold(),
      () => clock.touch(),
    );
    try {
      const watch = new AbortController();
      const open = await fetch(`${url}/pods?watch=true`, { signal: watch.signal });
      expect(open.status).toBe(200);
      await clock.sleep(60_000); // resolves although the watch stays open
      expect(clock.now()).toBe(60_000);
      watch.abort();
      untrackWatch();
      // Not tracked (another origin): the slow request no longer keeps time still.
      const jumped = clock.sleep(60_000);
      const slow = fetch(`${url}/slow`).then((r) => r.json());
      await jumped;
      expect(clock.now()).toBe(120_000);
      await slow;
    } finally {
      untrack();
      clock.dispose();
    }
  });

  test('stopping the tracking releases requests still waiting, so the clock cannot stay frozen', async () => {
    const url = await slowServer();
    const { clock, untrack } = trackedClock(url);
    try {
      let fired = false;
      clock.sleep(60_000).then(() => (fired = true));
      const hanging = fetch(`${url}/hang`).catch(() => undefined);
      await eventually(() => received.includes('/hang'));
      await quiet(); // many times the idle turns an auto-advance jump waits for
      expect(fired).toBe(false);
      untrack();
      await eventually(() => expect(fired).toBe(true));
      server?.closeAllConnections();
      await hanging;
    } finally {
      untrack();
      clock.dispose();
    }
  });

  test('node:http requests (the Lambda transport) hold it too: to the end of the body, a watch to its headers', async () => {
    const url = await slowServer();
    const { clock, untrack } = trackedClock(url);
    const transport = nodeTransport({ server: url });
    const get = (path: string, signal?: AbortSignal) => ({
      method: 'GET' as const,
      url: new URL(url + path),
      headers: {},
      signal,
    });
    try {
      let fired = false;
      clock.sleep(60_000).then(() => (fired = true));
      expect((await transport.request(get('/slow'))).body).toBe('{"ok":true}');
      expect(fired).toBe(false);
      expect(clock.now()).toBe(0);
      await eventually(() => expect(fired).toBe(true));
      const watch = new AbortController();
      const open = await transport.stream(get('/pods?watch=true', watch.signal));
      expect(open.status).toBe(200);
      await clock.sleep(60_000); // resolves although the watch stays open
      expect(clock.now()).toBe(120_000);
      watch.abort();
    } finally {
      untrack();
      clock.dispose();
    }
  });
});
