/**
 * Page shapes: the emulator cuts listings into short pages, empty pages that still carry a next token, and an
 * empty last page, as the real portal API may, and the SDK's paginators still get every item exactly once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ListAccountsCommand, paginateListAccountRoles, paginateListAccounts, SSOClient } from '@aws-sdk/client-sso';
import fc from 'fast-check';
import { generateFixture } from '../../src/emulator/fixture.js';
import {
  decodePageCursor,
  encodePageCursor,
  MAX_PAGE_SIZE,
  pageShapeProblems,
  shapedPage,
  type PageCursor,
  type PageShape,
} from '../../src/emulator/pagination.js';
import { startEmulator } from '../../src/emulator/server.js';

/** Any valid page shape: sizes 0..100 with at least one above 0, empty pages frequent. */
const pageShape: fc.Arbitrary<PageShape> = fc
  .record({
    sizes: fc.array(
      fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: MAX_PAGE_SIZE })),
      { minLength: 1, maxLength: 8 },
    ),
    trailingEmptyPage: fc.boolean(),
  })
  .filter((s) => s.sizes.some((n) => n > 0));

/** Every page of `items`, walking the cursors as a client walks next tokens. */
function allPages<T>(
  items: readonly T[],
  requested: number,
  shape: PageShape | undefined,
): { page: T[]; next?: PageCursor }[] {
  const pages: { page: T[]; next?: PageCursor }[] = [];
  let cursor: PageCursor | undefined = { offset: 0, page: 0 };
  while (cursor !== undefined) {
    const result: { page: T[]; next?: PageCursor } = shapedPage(items, cursor, requested, shape);
    pages.push(result);
    assert.ok(pages.length <= 10_000, 'the listing ends');
    cursor = result.next;
  }
  return pages;
}

test('a shaped listing holds every item exactly once, in order, with each page cut as the shape says', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer(), { maxLength: 120 }),
      fc.integer({ min: 1, max: MAX_PAGE_SIZE }),
      pageShape,
      (items, requested, shape) => {
        const pages = allPages(items, requested, shape);
        assert.deepEqual(
          pages.flatMap((p) => p.page),
          items,
        );
        let remaining = items.length;
        pages.forEach(({ page }, i) => {
          const last = i === pages.length - 1;
          const want = Math.min(requested, shape.sizes[i % shape.sizes.length]!, remaining);
          // The trailing empty page is the one page past the end; every other page is cut exactly by the shape.
          if (!(last && shape.trailingEmptyPage && items.length > 0)) assert.equal(page.length, want, `page ${i}`);
          remaining -= page.length;
        });
        assert.equal(pages.at(-1)!.next, undefined);
        if (shape.trailingEmptyPage && items.length > 0) {
          assert.equal(pages.at(-1)!.page.length, 0, 'the last page is empty');
          assert.ok(pages.at(-2)!.page.length > 0, 'the page before it has items and a next token');
        } else if (items.length > 0) {
          assert.ok(pages.at(-1)!.page.length > 0, 'no empty last page unless asked for');
        }
      },
    ),
    { numRuns: 500 },
  );
});

test('without a shape, pages are full pages of the requested size, as before', () => {
  fc.assert(
    fc.property(
      fc.array(fc.nat(), { maxLength: 300 }),
      fc.integer({ min: 1, max: MAX_PAGE_SIZE }),
      (items, requested) => {
        const pages = allPages(items, requested, undefined);
        assert.deepEqual(
          pages.flatMap((p) => p.page),
          items,
        );
        assert.equal(pages.length, Math.max(1, Math.ceil(items.length / requested)));
      },
    ),
  );
});

test('page cursors round-trip within their scope only, offset 0 included; any other text is refused', () => {
  fc.assert(
    fc.property(
      fc.string(),
      fc.string(),
      fc.nat(),
      fc.integer({ min: 1, max: 1_000_000 }),
      (scope, other, offset, page) => {
        const token = encodePageCursor(scope, { offset, page });
        assert.match(token, /^[A-Za-z0-9_-]+$/);
        assert.deepEqual(decodePageCursor(token, scope), { offset, page });
        if (other !== scope) assert.equal(decodePageCursor(token, other), undefined);
      },
    ),
  );
  fc.assert(
    fc.property(fc.string(), (text) => {
      const cursor = decodePageCursor(text, 'accounts');
      assert.ok(
        cursor === undefined ||
          (Number.isSafeInteger(cursor.offset) &&
            cursor.offset >= 0 &&
            Number.isSafeInteger(cursor.page) &&
            cursor.page >= 1),
      );
    }),
  );
  const forgeries = [
    { v: 1, scope: 'accounts', offset: -1, page: 1 },
    { v: 1, scope: 'accounts', offset: 1.5, page: 1 },
    { v: 1, scope: 'accounts', offset: 1, page: 0 },
    { v: 1, scope: 'accounts', offset: 1 },
    { v: 2, scope: 'accounts', offset: 1, page: 1 },
    { scope: 'accounts', offset: 1, page: 1 },
  ];
  for (const forged of forgeries) {
    assert.equal(
      decodePageCursor(Buffer.from(JSON.stringify(forged)).toString('base64url'), 'accounts'),
      undefined,
      JSON.stringify(forged),
    );
  }
});

test('a page shape that could never end, or is not one, is refused with every problem named', () => {
  assert.deepEqual(pageShapeProblems(undefined), []);
  assert.deepEqual(pageShapeProblems({ sizes: [0, 3, 100], trailingEmptyPage: true }), []);
  assert.deepEqual(pageShapeProblems({ sizes: [] }), ['pageShape.sizes must hold 1..1000 page sizes, got 0']);
  assert.deepEqual(pageShapeProblems({ sizes: [0, 0] }), ['pageShape.sizes must hold at least one size above 0']);
  assert.deepEqual(pageShapeProblems({ sizes: [-1, 1.5, 101, 2] }), [
    'pageShape.sizes[0] must be an integer 0..100, got -1',
    'pageShape.sizes[1] must be an integer 0..100, got 1.5',
    'pageShape.sizes[2] must be an integer 0..100, got 101',
  ]);
  assert.deepEqual(pageShapeProblems({ sizes: 'x' }), ['pageShape.sizes must be an array of page sizes']);
});

test('the SDK paginators get every account and role exactly once through short, empty and empty last pages', async (t) => {
  const fixture = generateFixture({ accounts: 23, rolesPerAccount: 5, seed: 3 });
  const shape: PageShape = { sizes: [0, 3, 0, 0, 1, 7], trailingEmptyPage: true };
  const emulator = await startEmulator({ fixture, pageShape: shape });
  const client = new SSOClient({ region: 'eu-north-1', endpoint: emulator.url, maxAttempts: 1 });
  t.after(async () => {
    client.destroy();
    await emulator.stop();
  });
  const { accessToken } = emulator.issueAccessToken();

  // The first page is empty, yet carries a token: a client that stops there sees no account at all.
  const first = await client.send(new ListAccountsCommand({ accessToken, maxResults: 100 }));
  assert.deepEqual(first.accountList, []);
  assert.ok(first.nextToken);

  const before = emulator.stats().byRoute.accounts ?? 0;
  const accounts: string[] = [];
  for await (const page of paginateListAccounts({ client, pageSize: 100 }, { accessToken })) {
    for (const a of page.accountList ?? []) accounts.push(a.accountId!);
  }
  assert.deepEqual(
    accounts,
    fixture.accounts.map((a) => a.accountId),
  );
  // The same number of requests as the pure model has pages: the shape really reached the wire.
  assert.equal((emulator.stats().byRoute.accounts ?? 0) - before, allPages(fixture.accounts, 100, shape).length);

  for (const account of fixture.accounts.slice(0, 3)) {
    const roles: string[] = [];
    for await (const page of paginateListAccountRoles(
      { client, pageSize: 2 },
      { accessToken, accountId: account.accountId },
    )) {
      for (const r of page.roleList ?? []) roles.push(r.roleName!);
    }
    assert.deepEqual(roles, account.roles);
  }
});

test('setPageShape takes effect at once, keeps tokens already handed out valid, and refuses a bad shape', async (t) => {
  const fixture = generateFixture({ accounts: 10, rolesPerAccount: 1, seed: 5 });
  const emulator = await startEmulator({ fixture });
  const client = new SSOClient({ region: 'eu-north-1', endpoint: emulator.url, maxAttempts: 1 });
  t.after(async () => {
    client.destroy();
    await emulator.stop();
  });
  const { accessToken } = emulator.issueAccessToken();
  const full = await client.send(new ListAccountsCommand({ accessToken, maxResults: 4 }));
  assert.equal(full.accountList?.length, 4);

  emulator.setPageShape({ sizes: [1] });
  const rest: string[] = [];
  let nextToken = full.nextToken;
  while (nextToken !== undefined) {
    const page = await client.send(new ListAccountsCommand({ accessToken, maxResults: 4, nextToken }));
    assert.ok((page.accountList?.length ?? 0) <= 1);
    rest.push(...(page.accountList ?? []).map((a) => a.accountId!));
    nextToken = page.nextToken;
  }
  assert.deepEqual(
    [...full.accountList.map((a) => a.accountId!), ...rest],
    fixture.accounts.map((a) => a.accountId),
  );

  assert.throws(() => emulator.setPageShape({ sizes: [0] }), /at least one size above 0/);
  emulator.setPageShape(undefined);
  assert.equal((await client.send(new ListAccountsCommand({ accessToken, maxResults: 100 }))).accountList?.length, 10);
  await assert.rejects(startEmulator({ fixture, pageShape: { sizes: [] } }), /pageShape\.sizes must hold 1\.\.1000/);
});
