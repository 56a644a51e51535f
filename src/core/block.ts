/** Where block text is made: profiles -> the text of one session's managed block. */
import { beginMarkerLine, checksumOf, endMarkerLine } from './config-text.js';
import type { Profile, SessionDef } from './types.js';

/** What one session's block holds. */
export interface BlockContent {
  session: string;
  /** The `[sso-session]` section, when no section outside the blocks defines it already. */
  sessionSection: SessionDef | undefined;
  /** Sorted by name. */
  profiles: readonly Profile[];
}

/** The lines between the markers: the sso-session section, then each profile, separated by blank lines. */
export function renderBody(content: BlockContent): string[] {
  const lines: string[] = [];
  const s = content.sessionSection;
  if (s) {
    lines.push(
      `[sso-session ${s.name}]`,
      `sso_region = ${s.region}`,
      `sso_start_url = ${s.startUrl}`,
      `sso_registration_scopes = ${s.scopes.join(',')}`,
    );
  }
  for (const p of content.profiles) {
    if (lines.length > 0) lines.push('');
    lines.push(`[profile ${p.name}]`);
    for (const [k, v] of p.keys) lines.push(`${k} = ${v}`);
  }
  return lines;
}

/**
 * renderBody's lines joined with `\n`, and how many there are. Made by appending (V8 keeps the pieces and copies
 * them once, when the text is first read whole): for a block of thousands of profiles, that is several times
 * faster than making a string for every line and joining them.
 */
function joinedBody(content: BlockContent): { body: string; lines: number } {
  let body = '';
  let lines = 0;
  const s = content.sessionSection;
  if (s) {
    body = `[sso-session ${s.name}]\nsso_region = ${s.region}\nsso_start_url = ${s.startUrl}`;
    body += `\nsso_registration_scopes = ${s.scopes.join(',')}`;
    lines = 4;
  }
  for (const p of content.profiles) {
    body += (lines > 0 ? '\n\n[profile ' : '[profile ') + p.name + ']';
    lines += lines > 0 ? 2 : 1;
    // An index loop: unpacking each pair with `of` costs an object per key until the code is optimised.
    const keys = p.keys;
    for (let i = 0; i < keys.length; i++) body += '\n' + keys[i]![0] + ' = ' + keys[i]![1];
    lines += keys.length;
  }
  return { body, lines };
}

/** A block as rendered: its body as its checksum sees it (lines joined with `\n`), and the whole block's text. */
export interface RenderedBlock {
  body: string;
  /** The block's lines, markers included, joined with the file's line ending; no ending after the END marker. */
  text: string;
}

/** The whole block, in a file whose lines end with `eol`; the BEGIN marker carries the body's checksum. */
export function renderBlock(content: BlockContent, eol: '\n' | '\r\n'): RenderedBlock {
  const { body, lines } = joinedBody(content);
  const begin = beginMarkerLine(content.session, checksumOf(body));
  const end = endMarkerLine(content.session);
  const inner = lines === 0 ? [] : [body];
  if (eol === '\n') return { body, text: lines === 0 ? `${begin}\n${end}` : `${begin}\n${body}\n${end}` };
  // Only the line ends become CRLF: a value with a line break of its own (none that sso-sync writes has one) keeps
  // it as it is, so such a block is joined line by line.
  let breaks = 0;
  for (let at = body.indexOf('\n'); at !== -1; at = body.indexOf('\n', at + 1)) breaks++;
  const crlf = breaks === lines - 1 ? inner.map((b) => b.replaceAll('\n', '\r\n')) : renderBody(content);
  return { body, text: [begin, ...crlf, end].join('\r\n') };
}
