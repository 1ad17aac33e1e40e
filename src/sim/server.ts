// The simulated apiserver's HTTP front: node:http on loopback, Kubernetes URL layout and JSON, a generic
// REST handler over the resource table, chunked watch streams, discovery, pod logs, and the
// Prometheus-compatible query endpoint. Faults are decided here, once per request, before any handler runs.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Clock } from '../core/ports.js';
import { matches, type PropagationPolicy, type SimApi } from './api.js';
import { badRequest, conflict, notFound, StatusError } from './errors.js';
import type { Faults, Verb } from './faults.js';
import { applyPatch, PATCH_TYPES, type PatchType } from './patch.js';
import {
  coreVersions,
  findResource,
  groupDocument,
  groupList,
  type ResourceType,
  resourceList,
  typeKey,
} from './resources.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import type { KubeObject, Store, StoreEvent } from './store.js';

export interface PromResponse {
  status: number;
  body: unknown;
}

export interface ServerHooks {
  api: SimApi;
  store: Store;
  clock: Clock;
  faults: Faults;
  /** Marks a request in progress (the virtual clock must not jump meanwhile). */
  hold?: () => () => void;
  /** Records network activity (postpones a virtual-clock jump). */
  touch?: () => void;
  /** `GET pods/<name>/log`: the container's log text, or a thrown StatusError. */
  podLog(
    pod: KubeObject,
    container: string | undefined,
    options: { previous: boolean; tailLines?: number },
  ): string;
  /** `/api/v1/query` and `/api/v1/query_range`. */
  prometheus(path: 'query' | 'query_range', params: URLSearchParams): PromResponse;
  /** Milliseconds between BOOKMARK events on watches that allow them (real time: they are keep-alives). */
  bookmarkIntervalMs?: number;
}

interface Route {
  rt: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

const VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-kdeploy-sim',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

function parseRoute(segments: string[]): Route | undefined {
  // /api/v1/... or /apis/<group>/<version>/...
  let group = '';
  let version: string;
  let rest: string[];
  if (segments[0] === 'api') {
    version = segments[1]!;
    rest = segments.slice(2);
  } else {
    group = segments[1]!;
    version = segments[2]!;
    rest = segments.slice(3);
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && findResource(group, version, rest[2]!)?.namespaced) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const rt = findResource(group, version, rest[0] ?? '');
  if (!rt || rest.length > 3) return undefined;
  if (rt.namespaced && !namespace && rest.length > 1) return undefined;
  return { rt, namespace, name: rest[1], subresource: rest[2] };
}

function send(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': typeof body === 'string' ? 'text/plain' : 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function sendError(res: ServerResponse, err: unknown): void {
  const e =
    err instanceof StatusError
      ? err
      : new StatusError(
          500,
          'InternalError',
          `an error on the server ("${(err as Error)?.message ?? err}") has prevented the request from succeeding`,
        );
  const headers: Record<string, string> = {};
  if (e.details?.retryAfterSeconds !== undefined)
    headers['Retry-After'] = String(e.details.retryAfterSeconds);
  send(res, e.code, e.toStatus(), headers);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text: string): KubeObject {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
}

/** List items are served without kind/apiVersion, as typed lists from the apiserver are. */
function listItem(o: KubeObject): KubeObject {
  const { kind: _k, apiVersion: _a, ...rest } = o;
  return rest as KubeObject;
}

function verbOf(method: string, route: Route, watch: boolean): Verb {
  switch (method) {
    case 'GET':
      return route.name ? 'get' : watch ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return route.name ? 'delete' : 'deletecollection';
    default:
      throw new StatusError(
        405,
        'MethodNotAllowed',
        `the server does not allow this method on the requested resource`,
      );
  }
}

export class SimServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly watches = new Set<{ resource: string; end: () => void }>();
  private readonly unsubscribeDrops: () => void;
  url = '';

  constructor(private readonly hooks: ServerHooks) {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      // Bytes arriving mean a request is on its way: the virtual clock must not jump before it is served.
      if (hooks.touch) s.on('data', hooks.touch);
      s.on('close', () => this.sockets.delete(s));
    });
    this.unsubscribeDrops = hooks.faults.onDropWatches((resource) => {
      for (const w of [...this.watches]) if (!resource || w.resource === resource) w.end();
    });
  }

  async listen(port = 0): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    const { port: actual } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${actual}`;
    return this.url;
  }

  async close(): Promise<void> {
    this.unsubscribeDrops();
    for (const w of [...this.watches]) w.end();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const release = this.hooks.hold?.() ?? (() => {});
    try {
      const body = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://sim');
      await this.route(req, res, url, body);
    } catch (err) {
      if (!res.headersSent) sendError(res, err);
      else res.end();
    } finally {
      release();
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL, body: string): Promise<void> {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
    const method = req.method ?? 'GET';
    if (path === '/version') return send(res, 200, VERSION);
    if (path === '/healthz' || path === '/readyz' || path === '/livez') return send(res, 200, 'ok');
    if (path === '/api/v1/query' || path === '/api/v1/query_range') {
      const params = new URLSearchParams(url.search);
      if (method === 'POST') for (const [k, v] of new URLSearchParams(body)) params.set(k, v);
      const answer = this.hooks.prometheus(path.endsWith('range') ? 'query_range' : 'query', params);
      return send(res, answer.status, answer.body);
    }
    if (path === '/api') return send(res, 200, coreVersions(this.url.replace(/^https?:\/\//, '')));
    if (path === '/apis') return send(res, 200, groupList());
    if (segments[0] === 'apis' && segments.length === 2) {
      const doc = groupDocument(segments[1]!);
      return doc ? send(res, 200, doc) : sendError(res, notFound('', '', path));
    }
    if (
      (segments[0] === 'api' && segments.length === 2) ||
      (segments[0] === 'apis' && segments.length === 3)
    ) {
      const list =
        segments[0] === 'api' ? resourceList('', segments[1]!) : resourceList(segments[1]!, segments[2]!);
      return list
        ? send(res, 200, list)
        : sendError(
            res,
            new StatusError(404, 'NotFound', 'the server could not find the requested resource'),
          );
    }
    const route = segments[0] === 'api' || segments[0] === 'apis' ? parseRoute(segments) : undefined;
    if (!route) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
    const q = url.searchParams;
    const watch = q.get('watch') === 'true' || q.get('watch') === '1';
    const verb = verbOf(method, route, watch);
    const resource = route.subresource ? `${route.rt.resource}/${route.subresource}` : route.rt.resource;
    const decision = this.hooks.faults.decide({
      verb,
      resource,
      namespace: route.namespace,
      name: route.name,
    });
    if (decision.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (decision.kind === 'status') {
      if (decision.code === 409) throw conflict(route.rt.resource, route.rt.group, route.name ?? '');
      if (decision.code === 429) {
        throw new StatusError(
          429,
          'TooManyRequests',
          'the server has received too many requests and has asked us to try again later',
          {
            retryAfterSeconds: decision.retryAfterSeconds,
          },
        );
      }
      throw new StatusError(
        500,
        'InternalError',
        'an error on the server ("injected fault") has prevented the request from succeeding',
      );
    }
    const dropAfter = decision.kind === 'watchDrop' ? decision.afterEvents : undefined;
    await this.serve(req, res, route, verb, q, body, dropAfter);
  }

  private async serve(
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    verb: Verb,
    q: URLSearchParams,
    body: string,
    dropAfter: number | undefined,
  ): Promise<void> {
    const { api } = this.hooks;
    const { rt, namespace, name, subresource } = route;
    const dryRun = q.get('dryRun') === 'All';
    if (subresource && !rt.subresources.includes(subresource as 'status')) {
      throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
    }
    if (subresource === 'log') {
      if (verb !== 'get')
        throw new StatusError(
          405,
          'MethodNotAllowed',
          'the server does not allow this method on the requested resource',
        );
      const pod = api.get(rt, namespace, name!);
      const tail = q.get('tailLines');
      return send(
        res,
        200,
        this.hooks.podLog(pod, q.get('container') ?? undefined, {
          previous: q.get('previous') === 'true',
          tailLines: tail ? Number(tail) : undefined,
        }),
      );
    }
    if (subresource === 'scale') {
      if (verb === 'get') return send(res, 200, api.getScale(rt, namespace!, name!));
      if (verb === 'update') return send(res, 200, api.setScale(rt, namespace!, name!, parseJson(body)));
      if (verb === 'patch') {
        const patched = applyPatch(api.getScale(rt, namespace!, name!), body, patchType(req));
        return send(res, 200, api.setScale(rt, namespace!, name!, patched));
      }
    }
    const status = subresource === 'status' ? 'status' : undefined;
    switch (verb) {
      case 'get':
        return send(res, 200, api.get(rt, namespace, name!));
      case 'list':
        return this.list(res, rt, namespace, q);
      case 'watch':
        return this.watch(res, rt, namespace, q, dropAfter);
      case 'create':
        if (subresource)
          throw new StatusError(
            405,
            'MethodNotAllowed',
            'the server does not allow this method on the requested resource',
          );
        return send(res, 201, api.create(rt, namespace, parseJson(body), dryRun));
      case 'update':
        return send(res, 200, api.update(rt, namespace, name!, parseJson(body), status, dryRun));
      case 'patch':
        return send(res, 200, api.patch(rt, namespace, name!, body, patchType(req), status, dryRun));
      case 'delete': {
        const opts = body.trim() ? parseJson(body) : ({} as KubeObject);
        const policy = (q.get('propagationPolicy') ??
          opts.propagationPolicy ??
          'Background') as PropagationPolicy;
        if (!['Background', 'Foreground', 'Orphan'].includes(policy)) {
          throw badRequest(
            `propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`,
          );
        }
        return send(res, 200, api.delete(rt, namespace, name!, policy, opts.preconditions, dryRun));
      }
      case 'deletecollection': {
        const items = api.list(rt, namespace, selectors(rt, q));
        for (const o of items)
          api.delete(rt, o.metadata.namespace, o.metadata.name, 'Background', undefined, dryRun);
        return send(res, 200, listBody(rt, items.map(listItem), String(this.hooks.store.resourceVersion)));
      }
    }
  }

  private list(
    res: ServerResponse,
    rt: ResourceType,
    namespace: string | undefined,
    q: URLSearchParams,
  ): void {
    const all = this.hooks.api.list(rt, namespace, selectors(rt, q));
    const limit = Number(q.get('limit') ?? 0);
    const start = q.get('continue') ? decodeContinue(q.get('continue')!) : 0;
    const page = limit > 0 ? all.slice(start, start + limit) : all.slice(start);
    const more = limit > 0 && start + limit < all.length;
    const body = listBody(rt, page.map(listItem), String(this.hooks.store.resourceVersion));
    if (more) {
      (body.metadata as Record<string, unknown>).continue = Buffer.from(
        JSON.stringify({ start: start + limit }),
      ).toString('base64url');
      (body.metadata as Record<string, unknown>).remainingItemCount = all.length - start - limit;
    }
    send(res, 200, body);
  }

  private watch(
    res: ServerResponse,
    rt: ResourceType,
    namespace: string | undefined,
    q: URLSearchParams,
    dropAfter: number | undefined,
  ): void {
    const { store, clock } = this.hooks;
    const options = selectors(rt, q);
    const rvParam = q.get('resourceVersion');
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders(); // the client's watch() resolves on the headers, which may precede any event
    let sent = 0;
    let ended = false;
    const stop = new AbortController();
    const write = (type: string, object: unknown) => {
      if (ended) return;
      res.write(`${JSON.stringify({ type, object })}\n`);
      if (type !== 'BOOKMARK' && dropAfter !== undefined && ++sent >= dropAfter) end();
    };
    const inScope = (e: StoreEvent) =>
      typeKey(e.rt) === typeKey(rt) &&
      (!rt.namespaced || !namespace || e.object.metadata.namespace === namespace);
    const deliver = (e: StoreEvent) => {
      if (!inScope(e)) return;
      const now = matches(e.object, options);
      const before = e.old !== undefined && e.type === 'MODIFIED' ? matches(e.old, options) : now;
      // A label change moving an object in or out of the selector looks like ADDED/DELETED to the watcher.
      if (e.type === 'MODIFIED' && before !== now) write(now ? 'ADDED' : 'DELETED', e.object);
      else if (now || (e.type === 'DELETED' && e.old && matches(e.old, options))) write(e.type, e.object);
    };
    const unsubscribe = store.subscribe(deliver);
    const entry = { resource: rt.resource, end: () => end() };
    const bookmarks =
      q.get('allowWatchBookmarks') === 'true'
        ? setInterval(
            () =>
              write('BOOKMARK', {
                kind: rt.kind,
                apiVersion: rt.group ? `${rt.group}/${rt.version}` : rt.version,
                metadata: { resourceVersion: String(store.resourceVersion) },
              }),
            this.hooks.bookmarkIntervalMs ?? 10_000,
          )
        : undefined;
    bookmarks?.unref();
    const end = () => {
      if (ended) return;
      ended = true;
      unsubscribe();
      stop.abort();
      if (bookmarks) clearInterval(bookmarks);
      this.watches.delete(entry);
      res.end();
    };
    this.watches.add(entry);
    res.on('close', end);
    if (dropAfter === 0) {
      end();
      return;
    }
    const timeout = Number(q.get('timeoutSeconds') ?? 0);
    if (timeout > 0) clock.sleep(timeout * 1000, stop.signal).then(end, () => {});
    if (!rvParam || rvParam === '0') {
      for (const o of this.hooks.api.list(rt, namespace, options)) write('ADDED', o);
      return;
    }
    try {
      for (const e of store.since(Number(rvParam))) deliver(e);
    } catch (err) {
      if (err instanceof StatusError) write('ERROR', err.toStatus());
      end();
    }
  }
}

function selectors(rt: ResourceType, q: URLSearchParams) {
  return {
    labelSelector: parseLabelSelector(q.get('labelSelector')),
    fieldSelector: parseFieldSelector(q.get('fieldSelector'), rt.resource),
  };
}

function listBody(rt: ResourceType, items: KubeObject[], resourceVersion: string) {
  return {
    kind: `${rt.kind}List`,
    apiVersion: rt.group ? `${rt.group}/${rt.version}` : rt.version,
    metadata: { resourceVersion },
    items,
  };
}

function decodeContinue(token: string): number {
  try {
    const start = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')).start;
    if (Number.isInteger(start) && start >= 0) return start;
  } catch {
    // fall through to the error below
  }
  throw badRequest('continue key is not valid: invalid continue token');
}

function patchType(req: IncomingMessage): PatchType {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim() as PatchType;
  if (!PATCH_TYPES.includes(type)) {
    throw new StatusError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`,
    );
  }
  return type;
}
