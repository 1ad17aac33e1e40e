// Client-side request tracking for virtual time. The engine talks to the simulator over real loopback HTTP
// (undici under @kubernetes/client-node and src/kube), so "the process is idle" must mean "no client is
// waiting for an answer", not "nothing happened for a few real milliseconds" — a fixed quiet period is both
// slow (it is paid on every jump) and unsafe on a loaded machine (a client between write and read looks
// idle). undici publishes every request's life cycle on diagnostics_channel (the global Node fetch does
// too); holding the clock from creation to the end of the response closes that gap exactly. node:http (the
// Lambda's transport, src/kube/transport-node.ts) publishes a request's start and its response's headers;
// the rest of its life is read from the request and response objects those messages carry.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';

interface RequestLike {
  origin?: unknown;
  path?: unknown;
}

/** A request whose response never ends on its own (watch, log follow): it holds only until its headers. */
function streaming(path: string): boolean {
  return /[?&](watch|follow)=(true|1)(&|$)/.test(path);
}

/**
 * Holds the clock (`hold()`) while any undici or node:http request to `origin` awaits its response, and
 * `touch()`es it on every response chunk (a watch event arriving is work about to happen). Returns the
 * function that stops tracking and releases what is still held.
 */
export function trackRequests(origin: string, hold: () => () => void, touch: () => void): () => void {
  const held = new Map<object, () => void>();
  // undici keeps the origin as a string or a URL (whose string form ends in '/').
  const ours = ({ origin: o }: RequestLike) => o === origin || String(o) === `${origin}/`;
  const release = (request: object) => {
    held.get(request)?.();
    held.delete(request);
  };
  const onCreate = (message: unknown) => {
    const { request } = message as { request: RequestLike };
    if (ours(request)) held.set(request, hold());
  };
  const onHeaders = (message: unknown) => {
    const { request } = message as { request: RequestLike };
    if (!ours(request)) return;
    touch();
    if (streaming(String(request.path))) release(request);
  };
  const onChunk = (message: unknown) => {
    if (ours((message as { request: RequestLike }).request)) touch();
  };
  const onEnd = (message: unknown) => release((message as { request: object }).request);
  const nodeOurs = (request: ClientRequest) => `${request.protocol}//${request.getHeader('host')}` === origin;
  const onNodeStart = (message: unknown) => {
    const { request } = message as { request: ClientRequest };
    if (!nodeOurs(request)) return;
    held.set(request, hold());
    // 'close' comes after the response ends, or after an error or abort: every way a request finishes.
    request.once('close', () => release(request));
  };
  const onNodeResponse = (message: unknown) => {
    const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
    if (!held.has(request)) return;
    touch();
    if (!streaming(request.path)) return;
    release(request);
    // A 'data' listener on the response would switch it to flowing mode under its reader; the socket is
    // already flowing (the HTTP parser reads it), so listening there observes the chunks without taking them.
    const socket = response.socket;
    socket?.on('data', touch);
    response.once('close', () => socket?.off('data', touch));
  };
  const channels: [string, (message: unknown) => void][] = [
    ['undici:request:create', onCreate],
    ['undici:request:headers', onHeaders],
    ['undici:request:bodyChunkReceived', onChunk],
    ['undici:request:trailers', onEnd],
    ['undici:request:error', onEnd],
    ['http.client.request.start', onNodeStart],
    ['http.client.response.finish', onNodeResponse],
  ];
  for (const [name, fn] of channels) subscribe(name, fn);
  return () => {
    for (const [name, fn] of channels) unsubscribe(name, fn);
    // Requests cut off by the shutdown may report nothing more: a leaked hold would freeze the clock.
    for (const request of [...held.keys()]) release(request);
  };
}
