/** Paging for the list routes: page-size parsing, opaque next tokens and slicing, all pure. */

/** The largest page the service hands out (and the largest `max_result` it accepts). */
export const MAX_PAGE_SIZE = 100;

/**
 * Parses `max_result`; absent means the default. Returns undefined when it is not an integer in 1..100,
 * so the caller can answer InvalidRequestException.
 */
export function parsePageSize(raw: string | null, defaultSize: number): number | undefined {
  if (raw === null) return defaultSize;
  if (!/^\d{1,3}$/.test(raw)) return undefined;
  const size = Number(raw);
  return size >= 1 && size <= MAX_PAGE_SIZE ? size : undefined;
}

/**
 * A next token: base64url JSON holding the offset and the scope it was issued for (the route, and for roles the
 * account), so a token from one listing is refused by another instead of silently paging the wrong list.
 */
export function encodePageToken(scope: string, offset: number): string {
  return Buffer.from(JSON.stringify({ v: 1, scope, offset }), 'utf8').toString('base64url');
}

/** The offset a next token carries, or undefined when the token is malformed or belongs to another scope. */
export function decodePageToken(token: string, scope: string): number | undefined {
  if (token === '' || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { v, scope: tokenScope, offset } = value as Record<string, unknown>;
  if (v !== 1 || tokenScope !== scope) return undefined;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 1) return undefined;
  return offset;
}

/** One page of `items` from `offset`, and the offset of the next page when there is one. */
export function slicePage<T>(items: readonly T[], offset: number, size: number): { page: T[]; nextOffset?: number } {
  const page = items.slice(offset, offset + size);
  const end = offset + page.length;
  // A list that shrank between pages (the fixture changed) simply ends; a real service behaves no better.
  return end < items.length ? { page, nextOffset: end } : { page };
}
