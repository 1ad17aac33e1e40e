// Reads the action's input artifact: a zip in the pipeline's artifact bucket, fetched with the job's own
// temporary artifactCredentials (not the Lambda's role: those are what the pipeline grants for this job),
// unzipped in memory and written to a fresh folder so kdeploy.yaml can refer to templates beside it.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, sep } from 'node:path';
import { ConfigError } from '../src/config/errors.js';
import type { ArtifactCredentials, CodePipelineArtifact } from './job.js';

export interface S3Options {
  region?: string;
  /** Test and moto endpoints; path-style addressing is used with it, as loopback has no bucket subdomains. */
  endpoint?: string;
}

/** Fetches an object's bytes with the given credentials. */
export type ObjectReader = (
  location: { bucket: string; key: string },
  credentials: ArtifactCredentials,
) => Promise<Uint8Array>;

export function s3ObjectReader(options: S3Options = {}): ObjectReader {
  return async ({ bucket, key }, { accessKeyId, secretAccessKey, sessionToken }) => {
    const { S3Client, GetObjectCommand } = await import('@aws-sdk/client-s3');
    const s3 = new S3Client({
      ...(options.region ? { region: options.region } : {}),
      ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
      credentials: { accessKeyId, secretAccessKey, sessionToken },
      // A cross-region action's artifact store may sit in another region than the Lambda.
      followRegionRedirects: true,
    });
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!object.Body) throw new Error(`s3://${bucket}/${key} has no body`);
      return await object.Body.transformToByteArray();
    } finally {
      s3.destroy();
    }
  };
}

export interface ExtractedArtifact {
  name: string;
  dir: string;
  files: string[];
}

/** Picks the artifact by name, or the first one; a missing one is a configuration error. */
export function chooseArtifact(artifacts: CodePipelineArtifact[], name?: string): CodePipelineArtifact {
  const found = name ? artifacts.find((a) => a.name === name) : artifacts[0];
  if (found) return found;
  const declared = artifacts.map((a) => a.name).join(', ') || 'none';
  throw new ConfigError([
    {
      path: name ? ['artifact'] : [],
      source: 'UserParameters',
      message: name
        ? `input artifact "${name}" is not declared on the action (declared: ${declared})`
        : 'the action has no input artifact: declare the build output (kdeploy.yaml, imageDetail.json) as its input',
    },
  ]);
}

/** A member path that stays inside the folder; zip entries like `../x` or `/etc/x` are refused. */
function safeMember(member: string): string | undefined {
  const path = normalize(member.replaceAll('\\', '/'));
  if (path.startsWith('..') || path.startsWith(sep) || /^[A-Za-z]:/.test(path)) return undefined;
  return path;
}

/** Unzips the artifact into a new temporary folder. */
export async function extractArtifact(name: string, zip: Uint8Array): Promise<ExtractedArtifact> {
  const { unzipSync } = await import('fflate');
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(zip);
  } catch (err) {
    throw new ConfigError([
      { path: [], source: `artifact ${name}`, message: `not a zip archive: ${(err as Error).message}` },
    ]);
  }
  const dir = await mkdtemp(join(tmpdir(), 'kdeploy-artifact-'));
  const files: string[] = [];
  for (const [member, data] of Object.entries(entries)) {
    if (member.endsWith('/')) continue;
    const path = safeMember(member);
    if (!path)
      throw new ConfigError([
        { path: [], source: `artifact ${name}`, message: `unsafe member path ${member}` },
      ]);
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), data);
    files.push(path);
  }
  return { name, dir, files };
}

/** The image imageDetail.json names (`{"ImageURI": …}`), if the artifact has one. */
export function imageFromDetail(text: string | undefined, artifact: string): string | undefined {
  if (text === undefined) return undefined;
  let uri: unknown;
  try {
    uri = (JSON.parse(text) as { ImageURI?: unknown } | null)?.ImageURI;
  } catch {
    uri = undefined;
  }
  if (typeof uri === 'string' && uri.trim()) return uri.trim();
  throw new ConfigError([
    {
      path: ['ImageURI'],
      source: `${artifact}/imageDetail.json`,
      message: 'expected {"ImageURI": "<repository>:<tag> or @sha256:…"}',
    },
  ]);
}
