/**
 * The device verification page a person opens (GET /device?user_code=…, the URL `sso-sync login --device-code`
 * prints) and the form it posts back (POST /device): approve or deny one device authorization, with no JavaScript.
 */
import type { DeviceLookup, OidcStore } from './oidc-store.js';
import type { Reply, Route, RouteRequest } from './route-table.js';

/** What the device page needs from the emulator around it. */
export interface DevicePageContext {
  store: OidcStore;
  /** Whether device authorizations start approved (--auto-approve), so a page can say why one already is. */
  autoApprove: boolean;
  now(): number;
}

const HEADERS: Readonly<Record<string, string>> = {
  // A decision page must never come from a cache, and needs no script: the policy says so to the browser.
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
};

const STYLE =
  'body{font-family:system-ui,sans-serif;max-width:34em;margin:3em auto;padding:0 1em;line-height:1.5}' +
  '.code{font-family:ui-monospace,monospace;font-size:2em;letter-spacing:.1em}' +
  'button{font-size:1em;padding:.4em 1.4em;margin-right:.6em}';

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** A whole page; `body` is HTML already escaped by the caller. */
function page(status: number, title: string, body: string): Reply {
  const html =
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${escapeHtml(title)} - sso-sync SSO emulator</title><style>${STYLE}</style></head>\n` +
    `<body><h1>${escapeHtml(title)}</h1>\n${body}\n</body></html>\n`;
  return { status, html, headers: { ...HEADERS } };
}

/**
 * The code as the service prints it (`ABCD-EFGH`), from what a person may type: any case, spaces, with or without
 * the dash. Anything that is not eight letters is returned trimmed, to be reported as unknown.
 */
export function normalizeUserCode(raw: string): string {
  const letters = raw.toUpperCase().replace(/[\s-]/g, '');
  return /^[A-Z]{8}$/.test(letters) ? `${letters.slice(0, 4)}-${letters.slice(4)}` : raw.trim();
}

function clientPhrase(clientName: string | undefined): string {
  return clientName === undefined ? 'An application' : `The application <strong>${escapeHtml(clientName)}</strong>`;
}

function enterCodePage(): Reply {
  return page(
    200,
    'Enter the code',
    '<p>Type the code the application printed when it started the sign-in.</p>\n' +
      '<form method="get" action="/device"><p><label>Code <input name="user_code" autocomplete="off" autofocus ' +
      'placeholder="ABCD-EFGH" required></label> <button type="submit">Next</button></p></form>',
  );
}

/** The page for a code that cannot be decided: unknown, expired, or decided already. */
function refusalPage(lookup: Exclude<DeviceLookup, { kind: 'pending' }>, code: string, ctx: DevicePageContext): Reply {
  const shown = `<span class="code">${escapeHtml(code)}</span>`;
  const again = 'Start the sign-in again (<code>sso-sync login --device-code</code>) and open the URL it prints.';
  switch (lookup.kind) {
    case 'unknown':
      return page(
        404,
        'Unknown code',
        `<p>No sign-in of this emulator shows the code ${shown}.</p>\n` +
          `<p>Check it against the code the application printed. ${again}</p>`,
      );
    case 'expired':
      return page(
        410,
        'Code expired',
        `<p>The code ${shown} has expired: it can no longer be approved.</p>\n<p>${again}</p>`,
      );
    case 'decided': {
      const auto =
        lookup.decision === 'approved' && ctx.autoApprove
          ? ' (this emulator was started with <code>--auto-approve</code>, which approves device codes at once)'
          : '';
      return page(
        409,
        `Already ${lookup.decision}`,
        `<p>The sign-in with the code ${shown} was already ${lookup.decision}${auto}. ` +
          'Nothing was changed; you can close this tab.</p>',
      );
    }
  }
}

function approvalPage(code: string, clientName: string | undefined, expiresAtMs: number): Reply {
  return page(
    200,
    'Approve this sign-in?',
    `<p>${clientPhrase(clientName)} asks to sign in to this IAM Identity Center emulator.</p>\n` +
      '<p>Check that it printed this code:</p>\n' +
      `<p class="code">${escapeHtml(code)}</p>\n` +
      '<form method="post" action="/device">' +
      `<input type="hidden" name="user_code" value="${escapeHtml(code)}">` +
      '<button type="submit" name="decision" value="approve">Approve</button>' +
      '<button type="submit" name="decision" value="deny">Deny</button></form>\n' +
      `<p>The code expires at ${new Date(expiresAtMs).toISOString()}.</p>`,
  );
}

function showDevice(request: RouteRequest, ctx: DevicePageContext): Reply {
  const raw = request.query.get('user_code');
  if (raw === null || raw.trim() === '') return enterCodePage();
  const code = normalizeUserCode(raw);
  // A GET only shows: a link, a prefetch or a crawler must never decide a sign-in.
  const lookup = ctx.store.lookUpDevice(code, ctx.now());
  if (lookup.kind !== 'pending') return refusalPage(lookup, code, ctx);
  return approvalPage(code, lookup.clientName, lookup.expiresAtMs);
}

function decideDevice(request: RouteRequest, ctx: DevicePageContext): Reply {
  // A form posts application/x-www-form-urlencoded, whatever content type a hand-made request claims.
  const form = new URLSearchParams(request.body);
  const raw = form.get('user_code') ?? '';
  const decision = form.get('decision');
  if (raw.trim() === '' || (decision !== 'approve' && decision !== 'deny')) {
    return page(
      400,
      'Nothing decided',
      '<p>The form needs a <code>user_code</code> and a <code>decision</code> of <code>approve</code> or ' +
        '<code>deny</code>. Open the URL the application printed and press one of its buttons.</p>',
    );
  }
  const code = normalizeUserCode(raw);
  const now = ctx.now();
  const lookup = ctx.store.lookUpDevice(code, now);
  if (lookup.kind !== 'pending') return refusalPage(lookup, code, ctx);
  ctx.store.decideDevice(code, decision, now);
  const who = clientPhrase(lookup.clientName);
  return decision === 'approve'
    ? page(
        200,
        'Approved',
        `<p>Approved: you can close this tab.</p>\n<p>${who} gets its token the next time it asks, ` +
          'within its polling interval.</p>',
      )
    : page(
        200,
        'Denied',
        `<p>Denied: the sign-in with the code <span class="code">${escapeHtml(code)}</span> will not go ahead.</p>\n` +
          `<p>${who} is told so the next time it asks. You can close this tab.</p>`,
      );
}

/** The device page's rows of the route table: GET shows a code, POST records the person's decision. */
export function devicePageRoutes(ctx: DevicePageContext): Route[] {
  return [
    {
      method: 'GET',
      path: '/device',
      name: 'device-page',
      api: 'oidc',
      auth: 'none',
      handle: (r) => showDevice(r, ctx),
    },
    {
      method: 'POST',
      path: '/device',
      name: 'device-page',
      api: 'oidc',
      auth: 'none',
      handle: (r) => decideDevice(r, ctx),
    },
  ];
}
