import { type HttpMethod, type KubeConfig, RequestContext } from '@kubernetes/client-node';
import { fetch } from 'undici';
import type { StreamResponse, Transport, TransportRequest, TransportResponse } from './transport.js';

/**
 * The kubeconfig's credentials as client-node applies them (tokens, client certificates, exec plugins such
 * as `aws eks get-token`, proxies) over undici's fetch. Authentication runs per request, so a token an exec
 * plugin refreshes, or an authenticator attached to `kc` later (useEksAuth), takes effect at once.
 */
export function kubeConfigTransport(kc: KubeConfig, server: string): Transport {
  let dispatcher: ReturnType<RequestContext['getDispatcher']> | undefined;
  const send = async (request: TransportRequest) => {
    const ctx = new RequestContext(request.url.toString(), request.method as HttpMethod);
    await kc.applySecurityAuthentication(ctx);
    // applySecurityAuthentication builds a new undici Agent (a new connection) per request; keep the first
    // one so requests share keep-alive connections. Credentials travel in headers, set per request.
    dispatcher ??= ctx.getDispatcher();
    return fetch(request.url, {
      method: request.method,
      headers: { ...ctx.getHeaders(), ...request.headers },
      body: request.body,
      dispatcher: dispatcher as never,
      signal: request.signal,
    });
  };
  return {
    server: server.replace(/\/$/, ''),
    async request(request): Promise<TransportResponse> {
      const response = await send(request);
      const body = await response.text();
      return { status: response.status, headers: Object.fromEntries(response.headers), body };
    },
    async stream(request): Promise<StreamResponse> {
      const response = await send(request);
      const body = response.body;
      async function* chunks(): AsyncGenerator<string> {
        if (!body) return;
        const decoder = new TextDecoder();
        for await (const bytes of body) yield decoder.decode(bytes, { stream: true });
      }
      return { status: response.status, headers: Object.fromEntries(response.headers), chunks: chunks() };
    },
  };
}
