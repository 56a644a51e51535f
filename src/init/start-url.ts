/**
 * The start URL a person gives `sso-sync init`, as they copy it from the browser's address bar
 * (`https://d-1234567890.awsapps.com/start/#/`), made the canonical start URL the AWS CLI and the token cache use.
 */

/** What a good answer looks like, for the prompt and for every refusal. */
export const startUrlExample = 'https://d-1234567890.awsapps.com/start (or https://mycorp.awsapps.com/start)';

/** A start URL understood: the canonical form, the region when the address names it, a session name to suggest. */
export interface StartUrl {
  url: string;
  /** The region an address of a regional portal names (`ssoins-….eu-west-1.portal.amazonaws.com`). */
  region?: string;
  /** A name for the sso-session: the portal's own name (`mycorp`, `d-1234567890`). */
  name: string;
}

/** The hosts of AWS access portals, with the region where the address names one. */
const portalHosts: { pattern: RegExp; region?: (m: RegExpExecArray) => string }[] = [
  // https://d-1234567890.awsapps.com/start, https://mycorp.awsapps.com/start, and the China regions' awsapps.cn
  { pattern: /^([a-z0-9-]+)\.awsapps\.(?:com|cn)$/ },
  // GovCloud: https://start.us-gov-home.awsapps.com/directory/d-1234567890
  { pattern: /^(start)\.us-gov-home\.awsapps\.com$/ },
  // A portal in an additional region: https://ssoins-1111111111111111.eu-west-1.portal.amazonaws.com
  { pattern: /^(ssoins-[a-z0-9]+)\.([a-z0-9-]+)\.portal\.amazonaws\.com$/, region: (m) => m[2]! },
  // The dual-stack (IPv6) address: https://ssoins-1111111111111111.portal.eu-west-1.app.aws
  { pattern: /^(ssoins-[a-z0-9]+)\.portal\.([a-z0-9-]+)\.app\.aws$/, region: (m) => m[2]! },
];

/** A local emulator of the service (the project's own, for trying sso-sync and for its tests). */
const loopbackHosts = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Why an answer is not a start URL, said with what a good one looks like. */
const notStartUrl = (why: string) => `${why}. A start URL looks like ${startUrlExample}.`;

/**
 * The path of a start URL: `/start` however the address bar shows it (`/start/`, `/start/#/`, nothing at all); on an
 * awsapps host only that or `/directory/ID` (GovCloud), else undefined: `/start.` or `/startx` is no portal's.
 */
function canonicalPath(pathname: string, awsapps: boolean): string | undefined {
  const trimmed = pathname.replace(/\/+$/, '');
  if (!awsapps) return trimmed;
  if (/^(?:\/start(?:\/.*)?)?$/i.test(trimmed)) return '/start';
  return /^\/directory\/[A-Za-z0-9-]+$/.test(trimmed) ? trimmed : undefined;
}

/** A session name from a label of the address: only A-Za-z0-9._- survive. */
const nameFrom = (label: string) => label.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'sso';

/** Parses what was typed or pasted; a problem in words when it cannot be a start URL. */
export function parseStartUrl(input: string): StartUrl | { problem: string } {
  // Pasted text may come with blanks, quotes, brackets or a sentence's punctuation around it.
  const text = input
    .trim()
    .replace(/^["'<([]+/, '')
    .replace(/["'>)\].,;:!?]+$/, '')
    .trim();
  if (text === '') return { problem: notStartUrl('no start URL was given') };
  if (/\s/.test(text)) return { problem: notStartUrl(`"${text}" has blanks inside`) };
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return { problem: notStartUrl(`"${text}" is not a web address`) };
  }
  const host = url.hostname.toLowerCase();
  if (url.username || url.password) return { problem: notStartUrl('a start URL holds no user name or password') };
  if (loopbackHosts.has(host)) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      return { problem: notStartUrl(`${url.protocol.slice(0, -1)} is not a web address's scheme`) };
    return { url: `${url.origin}${canonicalPath(url.pathname, false) ?? ''}`, name: 'local' };
  }
  // The portal answers only over https (http redirects there): an http address is taken as its https one.
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return { problem: notStartUrl(`${url.protocol.slice(0, -1)} is not a web address's scheme`) };
  for (const { pattern, region } of portalHosts) {
    const m = pattern.exec(host);
    if (!m) continue;
    const awsapps = host.endsWith('.awsapps.com') || host.endsWith('.awsapps.cn');
    const path = canonicalPath(url.pathname, awsapps);
    if (path === undefined)
      return { problem: notStartUrl(`${url.pathname} is not the path of an access portal's start URL (/start)`) };
    const directory = /^\/directory\/([^/]+)$/.exec(path)?.[1];
    return {
      url: `https://${host}${path}`,
      name: nameFrom(directory ?? m[1]!),
      ...(region ? { region: region(m) } : {}),
    };
  }
  return {
    problem: notStartUrl(
      `${host} is not an AWS access portal. If your company's address leads to the portal, ` +
        'open it in a browser and copy the address you arrive at',
    ),
  };
}
