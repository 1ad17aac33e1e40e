import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  /** Form fields of a POST body, or the query string of a GET. */
  params: URLSearchParams;
}

/** An in-process HTTP server on a free loopback port; `answer` decides each response. */
export async function startServer(
  answer: (req: Received) => { status?: number; body: unknown } | Promise<{ status?: number; body: unknown }>,
) {
  const received: Received[] = [];
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const url = new URL(req.url ?? '/', 'http://x');
    const r: Received = {
      method: req.method ?? '',
      path: url.pathname,
      headers: req.headers,
      params: req.method === 'POST' ? new URLSearchParams(body) : url.searchParams,
    };
    received.push(r);
    const out = await answer(r);
    res.writeHead(out.status ?? 200, {
      'content-type': typeof out.body === 'string' ? 'text/html' : 'application/json',
    });
    res.end(typeof out.body === 'string' ? out.body : JSON.stringify(out.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
