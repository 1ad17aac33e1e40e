// The four PATCH content types the apiserver accepts. JSON merge patch (RFC 7386) and strategic merge patch
// share one merge walk: strategic merge differs only in merging lists of objects by their patch merge key
// (containers by name, container ports by containerPort…) and in honouring `$patch` directives.
import jsonpatch from 'fast-json-patch';
import { parse as parseYaml } from 'yaml';
import { badRequest, StatusError } from './errors.js';
import { copyJson } from './json.js';

export const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
] as const;
export type PatchType = (typeof PATCH_TYPES)[number];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Patch merge keys from the Kubernetes API types (`patchMergeKey` struct tags), by field name; `ports`
 * depends on where it sits (a container's ports merge by containerPort, a Service's by port).
 */
function mergeKeyFor(path: string[]): string | undefined {
  const field = path[path.length - 1];
  switch (field) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'env':
    case 'volumes':
    case 'imagePullSecrets':
    case 'resourceClaims':
      return 'name';
    case 'ports':
      return path.includes('containers') || path.includes('initContainers') ? 'containerPort' : 'port';
    case 'volumeMounts':
      return 'mountPath';
    case 'volumeDevices':
      return 'devicePath';
    case 'conditions':
      return 'type';
    case 'hostAliases':
      return 'ip';
    case 'ownerReferences':
      return 'uid';
    case 'topologySpreadConstraints':
      return 'topologyKey';
    default:
      return undefined;
  }
}

function merge(target: Json | undefined, patch: Json, strategic: boolean, path: string[]): Json {
  if (!isObject(patch)) return patch;
  if (strategic && patch.$patch === 'replace') {
    const { $patch: _, ...rest } = patch;
    return rest;
  }
  const out: JsonObject = isObject(target) ? { ...target } : {};
  const retain = strategic && Array.isArray(patch.$retainKeys) ? (patch.$retainKeys as string[]) : undefined;
  for (const [key, value] of Object.entries(patch)) {
    if (strategic && key.startsWith('$')) {
      const prim = /^\$deleteFromPrimitiveList\/(.+)$/.exec(key);
      if (prim && Array.isArray(out[prim[1]!]) && Array.isArray(value)) {
        out[prim[1]!] = (out[prim[1]!] as Json[]).filter((v) => !value.includes(v));
      }
      continue; // $setElementOrder, $retainKeys, $patch: handled here or ordering-only
    }
    if (value === null || (strategic && isObject(value) && value.$patch === 'delete')) {
      delete out[key];
    } else if (strategic && Array.isArray(value)) {
      out[key] = mergeList(out[key], value, [...path, key]);
    } else {
      out[key] = merge(out[key], value, strategic, [...path, key]);
    }
  }
  if (retain) for (const key of Object.keys(out)) if (!retain.includes(key)) delete out[key];
  return out;
}

function mergeList(target: Json | undefined, patch: Json[], path: string[]): Json[] {
  const mergeKey = mergeKeyFor(path);
  if (patch.some((e) => isObject(e) && e.$patch === 'replace')) {
    return patch.filter((e) => !(isObject(e) && e.$patch === 'replace'));
  }
  if (!mergeKey || !Array.isArray(target)) {
    return patch
      .filter((e) => !(isObject(e) && e.$patch === 'delete'))
      .map((e) => merge(undefined, e, true, path));
  }
  const out = [...target];
  for (const item of patch) {
    if (!isObject(item) || !(mergeKey in item)) {
      throw new StatusError(
        422,
        'Invalid',
        `map: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey}`,
      );
    }
    const i = out.findIndex((e) => isObject(e) && e[mergeKey] === item[mergeKey]);
    if (item.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0) {
      out[i] = merge(out[i], item, true, path);
    } else {
      out.push(merge(undefined, item, true, path));
    }
  }
  return out;
}

/** RFC 7386 JSON merge patch. */
export function mergePatch<T>(target: T, patch: unknown): T {
  return merge(target as Json, patch as Json, false, []) as T;
}

/** Kubernetes strategic merge patch, for the fields whose merge keys are listed above. */
export function strategicMergePatch<T>(target: T, patch: unknown): T {
  return merge(target as Json, patch as Json, true, []) as T;
}

function parseBody(body: string, type: PatchType): unknown {
  try {
    return type === 'application/apply-patch+yaml' ? parseYaml(body) : JSON.parse(body);
  } catch (err) {
    throw badRequest(`error decoding patch: ${(err as Error).message}`);
  }
}

/** Applies a PATCH request body of the given content type to a copy of `current`. */
export function applyPatch<T extends object>(current: T, body: string, type: PatchType): T {
  const patch = parseBody(body, type);
  if (type === 'application/json-patch+json') {
    if (!Array.isArray(patch)) {
      // The apiserver's wording; it is the error client-node users hit when the Content-Type header is missing.
      throw badRequest(
        'error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp',
      );
    }
    try {
      return jsonpatch.applyPatch(copyJson(current), patch, true, true, true).newDocument;
    } catch (err) {
      throw new StatusError(
        422,
        'Invalid',
        `the server rejected our request due to an error in our request: ${(err as Error).message}`,
      );
    }
  }
  if (!isObject(patch)) throw badRequest('error decoding patch: the patch must be a JSON object');
  return type === 'application/merge-patch+json'
    ? mergePatch(current, patch)
    : strategicMergePatch(current, patch);
}
