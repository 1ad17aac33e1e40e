// What `--to` names: a tag for the configured repository, or a full image reference. Grammar from the
// OCI distribution reference (github.com/distribution/reference): lower-case path components, an optional
// registry host with port, a tag of at most 128 word characters, dots and dashes, a digest.

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const HOST =
  '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::\\d+)?)';
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const TAG_ONLY = new RegExp(`^${TAG}$`);
const REFERENCE = new RegExp(
  `^((?:${HOST}/)?${COMPONENT}(?:/${COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`,
);
// Kubernetes label values: the version label carries the tag.
const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;

export interface ImageRef {
  /** What goes into the pod spec. */
  image: string;
  repository: string;
  tag?: string;
  digest?: string;
  /** The `kdeploy.dev/version` label value: the tag, or `sha256-<12 hex>` for a digest-only reference. */
  version: string;
}

/** Resolves `--to` against the configured repository; a string is the reason it is invalid. */
export function resolveImage(repository: string, to: string): ImageRef | string {
  let ref: Omit<ImageRef, 'version'>;
  if (TAG_ONLY.test(to)) {
    ref = { image: `${repository}:${to}`, repository, tag: to };
  } else {
    const m = REFERENCE.exec(to);
    if (!m) {
      return `expected a tag such as v2 (letters, digits, _ . -, at most 128) or an image reference such as ${repository}:v2 or ${repository}@sha256:<digest>, got ${JSON.stringify(to)}`;
    }
    const [, repo, tag, digest] = m;
    if (!tag && !digest) return `the image reference ${JSON.stringify(to)} has neither a tag nor a digest`;
    ref = { image: to, repository: repo!, tag, digest };
  }
  const version =
    ref.tag ?? `${ref.digest!.split(':')[0]}-${ref.digest!.split(':')[1]!.slice(0, 12).toLowerCase()}`;
  if (!LABEL_VALUE.test(version)) {
    return `the tag ${JSON.stringify(version)} can't be a Kubernetes label value (kdeploy.dev/version): at most 63 characters, starting and ending with a letter or digit`;
  }
  return { ...ref, version };
}
