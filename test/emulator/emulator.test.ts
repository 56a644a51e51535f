/** The emulator through the real SSO SDK client: pagination, errors, throttling, faults, latency, shutdown. */
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { test } from 'node:test';
import {
  ListAccountRolesCommand,
  ListAccountsCommand,
  paginateListAccountRoles,
  paginateListAccounts,
  SSOClient,
  type AccountInfo,
} from '@aws-sdk/client-sso';
import { builtinFixture, generateFixture, type Fixture } from '../../src/emulator/fixture.js';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/server.js';

interface Harness {
  emulator: Emulator;
  client: SSOClient;
  token: string;
}

/** Runs `body` against a fresh emulator and SDK client, and always tears both down. */
async function withEmulator(
  options: Partial<EmulatorOptions>,
  body: (h: Harness) => Promise<void>,
  clientOptions: { maxAttempts?: number } = { maxAttempts: 1 },
): Promise<void> {
  const emulator = await startEmulator({ fixture: builtinFixture(), ...options });
  const client = new SSOClient({ region: 'eu-north-1', endpoint: emulator.url, ...clientOptions });
  try {
    await body({ emulator, client, token: emulator.issueAccessToken().accessToken });
  } finally {
    client.destroy();
    await emulator.stop();
  }
}

async function allAccounts(client: SSOClient, accessToken: string, pageSize?: number): Promise<AccountInfo[]> {
  const accounts: AccountInfo[] = [];
  const config = pageSize === undefined ? { client } : { client, pageSize };
  for await (const page of paginateListAccounts(config, { accessToken })) accounts.push(...(page.accountList ?? []));
  return accounts;
}

async function allRoles(client: SSOClient, accessToken: string, accountId: string, pageSize?: number) {
  const roles: string[] = [];
  const config = pageSize === undefined ? { client } : { client, pageSize };
  for await (const page of paginateListAccountRoles(config, { accessToken, accountId })) {
    for (const role of page.roleList ?? []) {
      assert.equal(role.accountId, accountId);
      roles.push(role.roleName ?? '');
    }
  }
  return roles;
}

test('the paginators return every account exactly once, in order, for page sizes 1..100 and the default', async () => {
  const fixture = generateFixture({ accounts: 157, rolesPerAccount: 2, seed: 7 });
  const expected = fixture.accounts.map((a) => a.accountId);
  await withEmulator({ fixture }, async ({ emulator, client, token }) => {
    for (const pageSize of [1, 2, 7, 20, 50, 99, 100, undefined]) {
      const before = emulator.stats().byRoute.accounts ?? 0;
      const accounts = await allAccounts(client, token, pageSize);
      assert.deepEqual(
        accounts.map((a) => a.accountId),
        expected,
        `page size ${pageSize}`,
      );
      const requests = (emulator.stats().byRoute.accounts ?? 0) - before;
      assert.equal(requests, Math.ceil(expected.length / (pageSize ?? 20)), `requests for page size ${pageSize}`);
    }
    const first = (await allAccounts(client, token, 100))[0];
    assert.deepEqual(first, {
      accountId: fixture.accounts[0]?.accountId,
      accountName: fixture.accounts[0]?.accountName,
      emailAddress: fixture.accounts[0]?.emailAddress,
    });
  });
});

test('the role paginator pages through one account and tags each role with its account', async () => {
  const manyRoles = generateFixture({ accounts: 1, rolesPerAccount: 25 }).accounts[0]?.roles ?? [];
  const fixture: Fixture = {
    accounts: [
      { accountId: '123456789012', accountName: 'Many Roles', roles: manyRoles },
      { accountId: '210987654321', accountName: 'No Roles', roles: [] },
    ],
  };
  await withEmulator({ fixture }, async ({ client, token }) => {
    const expected = fixture.accounts[0]?.roles;
    assert.equal(expected?.length, 25);
    for (const pageSize of [1, 4, 25, 100]) {
      assert.deepEqual(await allRoles(client, token, '123456789012', pageSize), expected);
    }
    assert.deepEqual(await allRoles(client, token, '210987654321'), []);
  });
});

test('max_result outside 1..100 is an InvalidRequestException', async () => {
  await withEmulator({}, async ({ emulator, client, token }) => {
    for (const maxResults of [0, 101]) {
      await assert.rejects(client.send(new ListAccountsCommand({ accessToken: token, maxResults })), {
        name: 'InvalidRequestException',
      });
    }
    const res = await fetch(`${emulator.url}/assignment/accounts?max_result=abc`, {
      headers: { 'x-amz-sso_bearer_token': token },
    });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('x-amzn-errortype'), 'InvalidRequestException');
  });
});

test('a malformed or foreign next_token is an InvalidRequestException', async () => {
  await withEmulator({}, async ({ client, token }) => {
    const accountsPage = await client.send(new ListAccountsCommand({ accessToken: token, maxResults: 1 }));
    const accountsToken = accountsPage.nextToken;
    assert.ok(accountsToken);
    const rolesPage = await client.send(
      new ListAccountRolesCommand({ accessToken: token, accountId: '222222222222', maxResults: 1 }),
    );
    const rolesToken = rolesPage.nextToken;
    assert.ok(rolesToken);

    const invalid = { name: 'InvalidRequestException' };
    await assert.rejects(client.send(new ListAccountsCommand({ accessToken: token, nextToken: 'garbage!' })), invalid);
    await assert.rejects(client.send(new ListAccountsCommand({ accessToken: token, nextToken: 'e30' })), invalid);
    // A roles token on the accounts route, an accounts token on the roles route, a token from another account.
    await assert.rejects(client.send(new ListAccountsCommand({ accessToken: token, nextToken: rolesToken })), invalid);
    await assert.rejects(
      client.send(
        new ListAccountRolesCommand({ accessToken: token, accountId: '222222222222', nextToken: accountsToken }),
      ),
      invalid,
    );
    await assert.rejects(
      client.send(
        new ListAccountRolesCommand({ accessToken: token, accountId: '111111111111', nextToken: rolesToken }),
      ),
      invalid,
    );
  });
});

test('roles need a known account_id', async () => {
  await withEmulator({}, async ({ emulator, client, token }) => {
    await assert.rejects(client.send(new ListAccountRolesCommand({ accessToken: token, accountId: '999999999999' })), {
      name: 'ResourceNotFoundException',
    });
    const res = await fetch(`${emulator.url}/assignment/roles`, { headers: { 'x-amz-sso_bearer_token': token } });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('x-amzn-errortype'), 'InvalidRequestException');
  });
});

test('missing, unknown, revoked and expired tokens are UnauthorizedException', async () => {
  await withEmulator({}, async ({ emulator, client, token }) => {
    const unauthorized = { name: 'UnauthorizedException' };
    await assert.rejects(client.send(new ListAccountsCommand({ accessToken: 'aoaNotIssuedHere' })), unauthorized);

    const expired = emulator.issueAccessToken({ expiresInSeconds: 0 });
    assert.ok(expired.expiresAt.getTime() <= Date.now());
    await assert.rejects(client.send(new ListAccountsCommand({ accessToken: expired.accessToken })), unauthorized);

    await client.send(new ListAccountsCommand({ accessToken: token }));
    emulator.revokeAccessToken(token);
    await assert.rejects(client.send(new ListAccountsCommand({ accessToken: token })), unauthorized);

    const res = await fetch(`${emulator.url}/assignment/accounts`);
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('x-amzn-errortype'), 'UnauthorizedException');
    const body = (await res.json()) as { message: string };
    assert.equal(typeof body.message, 'string');

    assert.deepEqual(new Set(emulator.issuedSecrets()), new Set([token, expired.accessToken]));
  });
});

test('error messages never repeat the token that was presented', async () => {
  await withEmulator({}, async ({ emulator, client }) => {
    const { accessToken } = emulator.issueAccessToken({ expiresInSeconds: -10 });
    const error = await client.send(new ListAccountsCommand({ accessToken })).catch((e: unknown) => e as Error);
    assert.ok(error instanceof Error);
    assert.ok(!error.message.includes(accessToken));
  });
});

test('an empty bucket answers 429 TooManyRequestsException, and the bucket refills', async () => {
  await withEmulator({ throttle: { ratePerSecond: 0, burst: 3 } }, async ({ emulator, client, token }) => {
    for (let i = 0; i < 3; i++) await client.send(new ListAccountsCommand({ accessToken: token }));
    await assert.rejects(client.send(new ListAccountsCommand({ accessToken: token })), {
      name: 'TooManyRequestsException',
    });
    const stats = emulator.stats();
    assert.equal(stats.throttled, 1);
    assert.equal(stats.statusCodes[429], 1);
    assert.equal(stats.requests, 4);
  });
  await withEmulator({ throttle: { ratePerSecond: 20, burst: 1 } }, async ({ client, token }) => {
    await client.send(new ListAccountsCommand({ accessToken: token }));
    await assert.rejects(client.send(new ListAccountsCommand({ accessToken: token })), {
      name: 'TooManyRequestsException',
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    await client.send(new ListAccountsCommand({ accessToken: token }));
  });
});

test('the throttle comes before auth: a bad token is throttled too', async () => {
  await withEmulator({ throttle: { ratePerSecond: 0, burst: 1 } }, async ({ client }) => {
    await assert.rejects(client.send(new ListAccountsCommand({ accessToken: 'x' })), { name: 'UnauthorizedException' });
    await assert.rejects(client.send(new ListAccountsCommand({ accessToken: 'x' })), {
      name: 'TooManyRequestsException',
    });
  });
});

test('each fault kind surfaces through the SDK as expected', async () => {
  type Action = NonNullable<EmulatorOptions['faults']>[number]['action'];
  const expectations: Array<{ action: Action; name: string; status?: number; code?: string }> = [
    { action: 'server-error', name: 'InternalServerException', status: 500 },
    { action: 'unavailable', name: 'ServiceUnavailableException', status: 503 },
    { action: 'unauthorized', name: 'UnauthorizedException', status: 401 },
    { action: 'invalid-request', name: 'InvalidRequestException', status: 400 },
    { action: 'throttle', name: 'TooManyRequestsException', status: 429 },
    // A 200 whose JSON is cut off: the SDK throws the parser's SyntaxError, with the 200 in its metadata.
    { action: 'malformed', name: 'SyntaxError', status: 200 },
    // No response at all: the SDK reports the reset socket under the name TimeoutError, code ECONNRESET.
    { action: 'drop', name: 'TimeoutError', code: 'ECONNRESET' },
  ];
  await withEmulator({}, async ({ emulator, client, token }) => {
    for (const { action, name, status, code } of expectations) {
      emulator.setFaults([{ action, times: 1 }]);
      const error = (await client.send(new ListAccountsCommand({ accessToken: token })).then(
        () => assert.fail(`${action}: expected an error`),
        (e: unknown) => e,
      )) as { name: string; code?: string; $metadata?: { httpStatusCode?: number } };
      assert.equal(error.name, name, action);
      assert.equal(error.$metadata?.httpStatusCode, status, action);
      if (code !== undefined) assert.equal(error.code, code, action);
      // times: 1, so the next call goes through.
      await client.send(new ListAccountsCommand({ accessToken: token }));
    }
    const stats = emulator.stats();
    assert.equal(stats.faultsFired, expectations.length);
    assert.equal(stats.dropped, 1);
    assert.equal(stats.requests, expectations.length * 2);
  });
});

test("a stall fault never answers: the client's request timeout ends the call, and the next call is answered", async () => {
  const emulator = await startEmulator({
    fixture: builtinFixture(),
    faults: [{ route: 'accounts', times: 1, action: 'stall' }],
  });
  const client = new SSOClient({
    region: 'eu-north-1',
    endpoint: emulator.url,
    maxAttempts: 1,
    requestHandler: { requestTimeout: 300, throwOnRequestTimeout: true },
  });
  try {
    const token = emulator.issueAccessToken().accessToken;
    const started = Date.now();
    await assert.rejects(client.send(new ListAccountsCommand({ accessToken: token })), { name: 'TimeoutError' });
    const waited = Date.now() - started;
    assert.ok(waited >= 250 && waited < 5_000, `gave up after ${waited} ms`);
    const page = await client.send(new ListAccountsCommand({ accessToken: token }));
    assert.ok((page.accountList ?? []).length > 0);
    assert.equal(emulator.stats().faultsFired, 1);
  } finally {
    client.destroy();
    await emulator.stop();
  }
});

test('faults honour route, after and times', async () => {
  const faults: EmulatorOptions['faults'] = [{ route: 'roles', after: 2, times: 1, action: 'unauthorized' }];
  await withEmulator({ faults }, async ({ emulator, client, token }) => {
    const roles = () => client.send(new ListAccountRolesCommand({ accessToken: token, accountId: '111111111111' }));
    await client.send(new ListAccountsCommand({ accessToken: token }));
    await roles();
    await roles();
    await assert.rejects(roles(), { name: 'UnauthorizedException' });
    await roles();
    await client.send(new ListAccountsCommand({ accessToken: token }));
    assert.equal(emulator.stats().faultsFired, 1);
    assert.deepEqual(emulator.stats().byRoute, { accounts: 2, roles: 4 });
  });
});

test('the SDK retries server errors and dropped connections by itself when allowed to', async () => {
  const faults: EmulatorOptions['faults'] = [
    { route: 'accounts', times: 1, action: 'unavailable' },
    { route: 'accounts', after: 1, times: 1, action: 'drop' },
  ];
  await withEmulator(
    { faults },
    async ({ emulator, client, token }) => {
      const result = await client.send(new ListAccountsCommand({ accessToken: token }));
      assert.equal(result.$metadata.attempts, 3);
      assert.equal(emulator.stats().faultsFired, 2);
    },
    {},
  );
});

test('latency is applied before every response', async () => {
  await withEmulator({ latencyMs: 150 }, async ({ client, token }) => {
    const started = performance.now();
    await client.send(new ListAccountsCommand({ accessToken: token }));
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 140, `took ${elapsed} ms`);
    assert.ok(elapsed < 3000, `took ${elapsed} ms`);
  });
});

test('stats record the largest number of requests in flight at once', async () => {
  await withEmulator({ latencyMs: 100 }, async ({ emulator, client, token }) => {
    const ids = ['111111111111', '222222222222', '333333333333', '444444444444', '555555555555', '666666666666'];
    await Promise.all(
      ids.map((accountId) => client.send(new ListAccountRolesCommand({ accessToken: token, accountId }))),
    );
    const stats = emulator.stats();
    assert.equal(stats.maxInFlight, ids.length);
    assert.equal(stats.inFlight, 0);
    assert.equal(stats.statusCodes[200], ids.length);
  });
});

test('setFixture changes what the next sync sees', async () => {
  await withEmulator({}, async ({ emulator, client, token }) => {
    assert.equal((await allAccounts(client, token)).length, builtinFixture().accounts.length);
    emulator.setFixture({ accounts: [{ accountId: '000000000001', accountName: 'Only One', roles: ['Billing'] }] });
    assert.deepEqual(await allAccounts(client, token), [{ accountId: '000000000001', accountName: 'Only One' }]);
    assert.deepEqual(await allRoles(client, token, '000000000001'), ['Billing']);
    assert.throws(
      () => emulator.setFixture({ accounts: [{ accountId: '12', accountName: '', roles: [] }] }),
      /setFixture/,
    );
  });
});

test('the wire format matches the service: JSON bodies, no nextToken on the last page, typed errors', async () => {
  await withEmulator({}, async ({ emulator, token }) => {
    const headers = { 'x-amz-sso_bearer_token': token };
    const res = await fetch(`${emulator.url}/assignment/accounts?max_result=100`, { headers });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json');
    const body = (await res.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ['accountList']);

    const roles = await fetch(`${emulator.url}/assignment/roles?account_id=555555555555`, { headers });
    assert.deepEqual(await roles.json(), { roleList: [{ roleName: 'ReadOnlyAccess', accountId: '555555555555' }] });

    const unknown = await fetch(`${emulator.url}/nowhere`, { headers });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.headers.get('content-type'), 'application/json');
    assert.ok(unknown.headers.get('x-amzn-errortype'));
    assert.equal(typeof ((await unknown.json()) as { message: unknown }).message, 'string');

    const wrongMethod = await fetch(`${emulator.url}/assignment/accounts`, { method: 'POST', headers });
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get('allow'), 'GET');
    await wrongMethod.arrayBuffer();
  });
});

test('several emulators in one process keep separate state', async () => {
  const a = await startEmulator({ fixture: builtinFixture() });
  const b = await startEmulator({ fixture: generateFixture({ accounts: 3, rolesPerAccount: 1 }) });
  try {
    assert.notEqual(a.port, b.port);
    const tokenA = a.issueAccessToken().accessToken;
    const res = await fetch(`${b.url}/assignment/accounts`, { headers: { 'x-amz-sso_bearer_token': tokenA } });
    assert.equal(res.status, 401);
    await res.arrayBuffer();
    assert.equal(a.stats().requests, 0);
    assert.equal(b.stats().requests, 1);
    assert.deepEqual(b.issuedSecrets(), []);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});

test('stop() closes the server and every connection, at once, and can be called twice', async () => {
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const timersBefore = timers();
  const emulator = await startEmulator({ fixture: builtinFixture(), latencyMs: 10_000 });
  const client = new SSOClient({ region: 'eu-north-1', endpoint: emulator.url, maxAttempts: 1 });
  const { accessToken } = emulator.issueAccessToken();
  // One request stuck in the latency wait: stop() must not wait ten seconds for it.
  const pending = client.send(new ListAccountsCommand({ accessToken })).then(
    () => 'answered',
    () => 'failed',
  );
  while (emulator.stats().inFlight === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  const started = performance.now();
  await Promise.all([emulator.stop(), emulator.stop()]);
  await emulator.stop();
  assert.ok(performance.now() - started < 1000);
  assert.equal(await pending, 'failed');
  await assert.rejects(fetch(`${emulator.url}/assignment/accounts`));
  client.destroy();
  // The stuck request's latency timer is cancelled too, so nothing keeps the process alive.
  assert.equal(timers(), timersBefore);
});

test('an emulator binds 127.0.0.1 only', async () => {
  await withEmulator({}, async ({ emulator }) => {
    assert.equal(emulator.url, `http://127.0.0.1:${emulator.port}`);
    // Where the machine has another interface, the port must be closed there.
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i !== undefined && !i.internal && i.family === 'IPv4');
    if (external === undefined) return;
    await assert.rejects(fetch(`http://${external.address}:${emulator.port}/assignment/accounts`));
  });
});
