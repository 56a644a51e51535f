/** Paging for the list routes: page-size parsing, page shapes, opaque next tokens and slicing, all pure. */

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
 * How the service cuts a listing into pages, beyond max_result. The portal API promises no page size: it may
 * answer with fewer items than asked for while more remain, with an empty page that still carries a nextToken,
 * and with a last page that holds nothing. A client must keep paging until no token comes back.
 */
export interface PageShape {
  /**
   * Items on successive pages, starting over when they run out, each capped by the request's max_result (or the
   * default page size). 0 is an empty page that still carries a next token. At least one must be positive.
   */
  sizes: readonly number[];
  /** The last page with items still carries a next token, and the page it leads to is empty (and has none). */
  trailingEmptyPage?: boolean;
}

/** Where a next token leads: the offset of the next item and the (0-based) number of the page it asks for. */
export interface PageCursor {
  offset: number;
  page: number;
}

/** Every problem with a page shape (options or a test's JSON, so anything), for the emulator's option checks. */
export function pageShapeProblems(shape: unknown, label = 'pageShape'): string[] {
  if (shape === undefined) return [];
  if (typeof shape !== 'object' || shape === null || !('sizes' in shape) || !Array.isArray(shape.sizes))
    return [`${label}.sizes must be an array of page sizes`];
  const problems: string[] = [];
  const sizes: unknown[] = shape.sizes;
  if (sizes.length === 0 || sizes.length > 1000)
    problems.push(`${label}.sizes must hold 1..1000 page sizes, got ${sizes.length}`);
  const valid = (size: unknown): size is number => typeof size === 'number' && Number.isInteger(size);
  sizes.forEach((size, i) => {
    if (!valid(size) || size < 0 || size > MAX_PAGE_SIZE)
      problems.push(`${label}.sizes[${i}] must be an integer 0..${MAX_PAGE_SIZE}, got ${JSON.stringify(size)}`);
  });
  // Only empty pages would page forever: the client would never get to the end.
  if (sizes.length > 0 && !sizes.some((size) => valid(size) && size > 0))
    problems.push(`${label}.sizes must hold at least one size above 0`);
  const trailing = 'trailingEmptyPage' in shape ? shape.trailingEmptyPage : undefined;
  if (trailing !== undefined && typeof trailing !== 'boolean')
    problems.push(`${label}.trailingEmptyPage must be a boolean`);
  return problems;
}

/**
 * A next token: base64url JSON holding where the next page starts, its number, and the scope it was issued for
 * (the route, and for roles the account), so a token from one listing is refused by another instead of silently
 * paging the wrong list.
 */
export function encodePageCursor(scope: string, cursor: PageCursor): string {
  return Buffer.from(JSON.stringify({ v: 1, scope, offset: cursor.offset, page: cursor.page }), 'utf8').toString(
    'base64url',
  );
}

/**
 * Where a next token leads, or undefined when it is malformed or belongs to another scope. An offset of 0 is
 * fine: an empty first page still hands out a token.
 */
export function decodePageCursor(token: string, scope: string): PageCursor | undefined {
  if (token === '' || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { v, scope: tokenScope, offset, page } = value as Record<string, unknown>;
  if (v !== 1 || tokenScope !== scope) return undefined;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) return undefined;
  if (typeof page !== 'number' || !Number.isSafeInteger(page) || page < 1) return undefined;
  return { offset, page };
}

/**
 * The page at `cursor` of `items` cut by `shape` (no shape: pages of `requested` items), and the cursor of the
 * next page when there is one. Each page holds at most `requested` items.
 */
export function shapedPage<T>(
  items: readonly T[],
  cursor: PageCursor,
  requested: number,
  shape: PageShape | undefined,
): { page: T[]; next?: PageCursor } {
  const size = shape === undefined ? requested : Math.min(requested, shape.sizes[cursor.page % shape.sizes.length]!);
  const page = items.slice(cursor.offset, cursor.offset + size);
  const end = cursor.offset + page.length;
  const next = { offset: end, page: cursor.page + 1 };
  if (end < items.length) return { page, next };
  // At the end. An empty page here is the last one, so the trailing empty page never leads to another.
  return shape?.trailingEmptyPage === true && page.length > 0 ? { page, next } : { page };
}
