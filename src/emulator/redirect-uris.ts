/** Redirect URIs of public clients: which may be registered, and which registered one a presented URI matches. */

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '[::1]', 'localhost']);

function parse(uri: string): URL | undefined {
  try {
    return new URL(uri);
  } catch {
    return undefined;
  }
}

/**
 * Why a URI cannot be registered as a redirect URI, or undefined when it can: an absolute https URL, or an http
 * URL on a loopback host (a native app's local listener), never with a fragment or credentials.
 */
export function redirectUriProblem(uri: string): string | undefined {
  const url = parse(uri);
  if (url === undefined) return 'is not an absolute URL';
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must use http or https';
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) return 'may use http only on a loopback address';
  if (url.hash !== '' || uri.includes('#')) return 'must not have a fragment';
  if (url.username !== '' || url.password !== '') return 'must not carry credentials';
  return undefined;
}

/**
 * Whether `presented` matches the registered `registered`. The same URL, except that on a loopback http URI the
 * port is not compared (RFC 8252 section 7.3): a CLI registers `http://127.0.0.1/oauth/callback` once and then
 * listens on whatever port is free at each sign-in.
 */
export function redirectUriMatches(registered: string, presented: string): boolean {
  const a = parse(registered);
  const b = parse(presented);
  if (a === undefined || b === undefined) return false;
  if (a.protocol === 'http:' && b.protocol === 'http:' && LOOPBACK_HOSTS.has(a.hostname)) {
    return a.hostname === b.hostname && a.pathname === b.pathname && a.search === b.search && b.hash === '';
  }
  return a.href === b.href;
}

/** Two redirect URIs are the same one (as CreateToken's redirectUri must be to the authorize request's). */
export function sameRedirectUri(a: string, b: string): boolean {
  const x = parse(a);
  const y = parse(b);
  return x !== undefined && y !== undefined && x.href === y.href;
}
