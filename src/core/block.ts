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
  // Index loops, here and in the other loops over thousands of profiles, lines or sections: a `for of` loop makes an
  // object for every step until V8 has optimised it, and a sync is over in less time than that takes.
  const profiles = content.profiles;
  for (let n = 0; n < profiles.length; n++) {
    const p = profiles[n]!;
    if (lines.length > 0) lines.push('');
    lines.push(`[profile ${p.name}]`);
    const keys = p.keys;
    for (let i = 0; i < keys.length; i++) lines.push(`${keys[i]![0]} = ${keys[i]![1]}`);
  }
  return lines;
}

/**
 * The body's text piece by piece, as renderBody's lines joined with `\n`, each piece given to `take`; false as soon as
 * `take` returns false. A body is compared with it (rendersAs) without being made.
 */
function bodyPieces(content: BlockContent, take: (piece: string) => boolean): boolean {
  const s = content.sessionSection;
  if (s) {
    const section =
      `[sso-session ${s.name}]\nsso_region = ${s.region}\nsso_start_url = ${s.startUrl}\n` +
      `sso_registration_scopes = ${s.scopes.join(',')}`;
    if (!take(section)) return false;
  }
  const profiles = content.profiles;
  for (let n = 0; n < profiles.length; n++) {
    const p = profiles[n]!;
    if (!(take(n === 0 && !s ? '[profile ' : '\n\n[profile ') && take(p.name) && take(']'))) return false;
    const keys = p.keys;
    for (let i = 0; i < keys.length; i++) {
      if (!(take('\n') && take(keys[i]![0]) && take(' = ') && take(keys[i]![1]))) return false;
    }
  }
  return true;
}

/** How many lines renderBody gives. */
function bodyLines(content: BlockContent): number {
  let lines = content.sessionSection ? 4 : 0;
  const profiles = content.profiles;
  for (let n = 0; n < profiles.length; n++) lines += (lines > 0 ? 2 : 1) + profiles[n]!.keys.length;
  return lines;
}

/** Whether `body` (lines joined with `\n`) is exactly the body rendered for `content`; compared, not made. */
function rendersAs(content: BlockContent, body: string): boolean {
  let at = 0;
  const same = bodyPieces(content, (piece) => {
    if (!body.startsWith(piece, at)) return false;
    at += piece.length;
    return true;
  });
  return same && at === body.length;
}

/** A block as rendered: its body as its checksum sees it (lines joined with `\n`), and the whole block's text. */
export interface RenderedBlock {
  body: string;
  /** The block's lines, markers included, joined with the file's line ending; no ending after the END marker. */
  text: string;
  /** True when the body is the one the block has already (see renderBlock). */
  unchanged: boolean;
}

/**
 * The whole block, in a file whose lines end with `eol`; the BEGIN marker carries the body's checksum. `before` is
 * the body the block has now, with its checksum, if it has one: when the new body is the same, it is compared piece
 * by piece and not made again (a sync that changes nothing, the usual one, then makes no copy of a large block).
 */
export function renderBlock(
  content: BlockContent,
  eol: '\n' | '\r\n',
  before?: { body: string; checksum: string },
): RenderedBlock {
  const unchanged = before !== undefined && rendersAs(content, before.body);
  // A new body is its lines joined once: a string a line, joined natively, is made faster than the body appended
  // piece by piece, and leaves less behind.
  const lines = unchanged ? undefined : renderBody(content);
  const body = unchanged ? before.body : lines!.join('\n');
  const begin = beginMarkerLine(content.session, unchanged ? before.checksum : checksumOf(body));
  const end = endMarkerLine(content.session);
  if (body === '') return { body, text: `${begin}${eol}${end}`, unchanged };
  if (eol === '\n') return { body, text: `${begin}\n${body}\n${end}`, unchanged };
  return { body, text: `${begin}\r\n${crlfBody(content, body, lines)}\r\n${end}`, unchanged };
}

/**
 * The body with CRLF line ends, from its lines when they are made. Only the line ends become CRLF: a value with a line
 * break of its own (none that sso-sync writes has one) keeps it as it is, so such a body is joined line by line.
 */
function crlfBody(content: BlockContent, body: string, lines: readonly string[] | undefined): string {
  if (lines) return lines.join('\r\n');
  let breaks = 0;
  for (let at = body.indexOf('\n'); at !== -1; at = body.indexOf('\n', at + 1)) breaks++;
  return breaks === bodyLines(content) - 1 ? body.replaceAll('\n', '\r\n') : renderBody(content).join('\r\n');
}
