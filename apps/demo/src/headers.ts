/**
 * Response headers the demo is served with. Cross-origin isolation (COOP + COEP) is what gives pages
 * SharedArrayBuffer, which the threaded wasm build needs; without it the demo falls back to one thread.
 */
export const CROSS_ORIGIN_ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** Whether a set of response headers makes a page cross-origin isolated. */
export function isolates(headers: Readonly<Record<string, string>>): boolean {
  const get = (name: string) =>
    Object.entries(headers)
      .find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1]
      ?.toLowerCase();
  const coep = get('Cross-Origin-Embedder-Policy');
  return (
    get('Cross-Origin-Opener-Policy') === 'same-origin' &&
    (coep === 'require-corp' || coep === 'credentialless')
  );
}
