/** JSON with sorted object keys, so equal values compare equal whatever order a client serialized them in. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * A deep copy of a JSON value (objects, arrays, primitives; undefined-valued keys kept). Stored objects are
 * copied on every read and write, and structuredClone's serializer was the simulator's largest CPU cost.
 */
export function copyJson<T>(v: T): T {
  if (Array.isArray(v)) return v.map(copyJson) as T;
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) {
      const value = copyJson((v as Record<string, unknown>)[k]);
      // A parsed "__proto__" key is an own property; plain assignment would set the prototype instead.
      if (k === '__proto__')
        Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
      else out[k] = value;
    }
    return out as T;
  }
  return v;
}
