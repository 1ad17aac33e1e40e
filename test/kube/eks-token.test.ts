import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { CoreV1Api } from '@kubernetes/client-node';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { EksTokenSource, eksKubeConfig, eksToken, TOKEN_PREFIX } from '../../src/kube/eks-token.js';

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'FwoGZXIvYXdzEXAMPLE/session+token=',
};
const FIXED = Date.UTC(2026, 0, 2, 3, 4, 5);

// Known answer from botocore, signing exactly as `aws eks get-token` does, with the same fixed time and
// credentials: `python3 test/kube/fixtures/eks-token-known-answer.py` (botocore 1.43.11).
const BOTOCORE_URL =
  'https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256' +
  '&X-Amz-Credential=AKIDEXAMPLE%2F20260102%2Feu-west-1%2Fsts%2Faws4_request&X-Amz-Date=20260102T030405Z&X-Amz-Expires=60' +
  '&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Security-Token=FwoGZXIvYXdzEXAMPLE%2Fsession%2Btoken%3D' +
  '&X-Amz-Signature=8903fdc4dae33cda3e35af3799ba07269b821b9b145d52d5ed0497644f4dd8d0';

function decode(token: string): URL {
  expect(token.startsWith(TOKEN_PREFIX)).toBe(true);
  const body = token.slice(TOKEN_PREFIX.length);
  expect(body).toMatch(/^[A-Za-z0-9_-]+$/); // base64url, no padding
  return new URL(Buffer.from(body, 'base64url').toString('utf8'));
}

/** A throw-away self-signed certificate for 127.0.0.1 (openssl), standing in for the EKS API server's. */
function selfSignedCert(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kdeploy-eks-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const params = (url: URL) => Object.fromEntries([...url.searchParams].sort(([a], [b]) => a.localeCompare(b)));

describe('eksToken', () => {
  it('matches botocore’s presigned GetCallerIdentity URL (known answer)', async () => {
    const { token, signedAt, expiresAt } = await eksToken({
      name: 'prod-cluster',
      region: 'eu-west-1',
      credentials,
      now: () => FIXED,
    });
    const url = decode(token);
    const expected = new URL(BOTOCORE_URL);
    expect(url.origin + url.pathname).toBe('https://sts.eu-west-1.amazonaws.com/');
    expect(params(url)).toEqual(params(expected));
    expect(url.searchParams.get('X-Amz-Signature')).toBe(
      '8903fdc4dae33cda3e35af3799ba07269b821b9b145d52d5ed0497644f4dd8d0',
    );
    expect(signedAt).toBe(FIXED);
    expect(expiresAt - signedAt).toBe(14 * 60_000);
  });

  it('signs for the cluster it is given: another name, another signature', async () => {
    const a = decode(
      (await eksToken({ name: 'prod-cluster', region: 'eu-west-1', credentials, now: () => FIXED })).token,
    );
    const b = decode(
      (await eksToken({ name: 'staging', region: 'eu-west-1', credentials, now: () => FIXED })).token,
    );
    expect(b.searchParams.get('X-Amz-Signature')).not.toBe(a.searchParams.get('X-Amz-Signature'));
  });
});

describe('EksTokenSource', () => {
  it('reuses the token for 13 minutes, then signs a new one; concurrent callers share one signing', async () => {
    let now = FIXED;
    let credentialCalls = 0;
    const source = new EksTokenSource({
      name: 'prod-cluster',
      region: 'eu-west-1',
      credentials: async () => {
        credentialCalls++;
        return credentials;
      },
      now: () => now,
    });
    const [first, again] = await Promise.all([source.token(), source.token()]);
    expect(again).toBe(first);
    expect(credentialCalls).toBe(1);

    now = FIXED + 13 * 60_000 - 1;
    expect(await source.token()).toBe(first);
    now = FIXED + 13 * 60_000;
    const second = await source.token();
    expect(second).not.toBe(first);
    expect(decode(second).searchParams.get('X-Amz-Date')).toBe('20260102T031705Z');
  });
});

describe('eksKubeConfig', () => {
  const eks = mockClient(EKSClient);
  afterEach(() => eks.reset());

  it('client-node sends the token as the bearer token; endpoint and CA come from DescribeCluster', async () => {
    const seen: (string | undefined)[] = [];
    const tls = selfSignedCert();
    const server = createServer(tls, (req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'NamespaceList', apiVersion: 'v1', metadata: {}, items: [] }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    eks.on(DescribeClusterCommand, { name: 'prod-cluster' }).resolves({
      cluster: {
        name: 'prod-cluster',
        endpoint: `https://127.0.0.1:${port}`,
        status: 'ACTIVE',
        certificateAuthority: { data: Buffer.from(tls.cert).toString('base64') },
      },
    });
    try {
      const kc = await eksKubeConfig({
        name: 'prod-cluster',
        region: 'eu-west-1',
        credentials,
        now: () => FIXED,
      });
      await kc.makeApiClient(CoreV1Api).listNamespace();
      await kc.makeApiClient(CoreV1Api).listNamespace();
    } finally {
      server.close();
    }
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatch(/^Bearer k8s-aws-v1\.[A-Za-z0-9_-]+$/);
    expect(seen[1]).toBe(seen[0]); // cached, not re-signed per request
    const url = decode(seen[0]!.slice('Bearer '.length));
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
    expect(url.searchParams.get('Action')).toBe('GetCallerIdentity');
  });
});
