import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { StreamResponse, Transport, TransportRequest } from './transport.js';

export interface NodeTransportOptions {
  /** API server URL (https, or http for a local test server). */
  server: string;
  /** Base64 PEM of the cluster CA (kubeconfig's certificate-authority-data, DescribeCluster's certificateAuthority.data). */
  caData?: string;
  /** The bearer token for each request (asked every time, so a refreshing source hands out a fresh one); none: no Authorization header. */
  token?: () => Promise<string> | string;
}

/** TLS verification failures, which otherwise read like an unrelated network error. */
const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
]);

function flatHeaders(message: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(message.headers)) if (v !== undefined) out[k] = String(v);
  return out;
}

/**
 * Bearer-token access over node:http/node:https with one keep-alive agent: all the Lambda needs (a server
 * URL, its CA, the EKS token), without client-node and undici (about 1 MB of bundle it would load cold).
 */
export function nodeTransport(options: NodeTransportOptions): Transport {
  const server = options.server.replace(/\/$/, '');
  const tls = server.startsWith('https:');
  const ca = options.caData ? Buffer.from(options.caData, 'base64') : undefined;
  const agent = tls
    ? new HttpsAgent({ keepAlive: true, ...(ca ? { ca } : {}) })
    : new HttpAgent({ keepAlive: true });
  const send = async (request: TransportRequest): Promise<IncomingMessage> => {
    const headers = { ...request.headers };
    const token = await options.token?.();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (request.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(request.body));
    return new Promise((resolve, reject) => {
      const req = (tls ? httpsRequest : httpRequest)(request.url, {
        method: request.method,
        headers,
        agent,
        signal: request.signal,
      });
      req.once('response', resolve);
      req.once('error', (err: NodeJS.ErrnoException) => {
        if (!err.code || !TLS_CODES.has(err.code)) return reject(err);
        reject(
          new Error(
            `TLS: the API server's certificate at ${server} is not trusted${ca ? ' by the given certificate authority' : ''} (${err.message})`,
            { cause: err },
          ),
        );
      });
      req.end(request.body);
    });
  };
  return {
    server,
    async request(request) {
      const response = await send(request);
      response.setEncoding('utf8');
      let body = '';
      for await (const chunk of response) body += chunk;
      return { status: response.statusCode ?? 0, headers: flatHeaders(response), body };
    },
    async stream(request): Promise<StreamResponse> {
      const response = await send(request);
      response.setEncoding('utf8');
      return { status: response.statusCode ?? 0, headers: flatHeaders(response), chunks: response };
    },
  };
}
