/**
 * The loopback listener of the authorization code flow: 127.0.0.1 only, a random port, one path. It accepts one
 * callback carrying the expected `state` and closes; anything else is answered with an error and ignored.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../clock/clock.js';
import { SsoSyncError } from '../errors.js';

/** The path of the redirect URI. */
export const callbackPath = '/oauth/callback';

/** What a callback brought. */
export type CallbackResult = { code: string } | { error: string; description: string | undefined };

/** A running listener. */
export interface CallbackListener {
  /** `http://127.0.0.1:PORT/oauth/callback` */
  redirectUri: string;
  /** Resolves with the first callback that carries the right state; rejects on timeout. Closes the listener. */
  result: Promise<CallbackResult>;
  close(): Promise<void>;
}

function page(res: ServerResponse, status: number, title: string, text: string): void {
  const body =
    `<!doctype html><html><head><meta charset="utf-8"><title>sso-sync: ${title}</title></head>` +
    `<body style="font-family:sans-serif;margin:3em"><h1>${title}</h1><p>${text}</p></body></html>`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'close',
  });
  res.end(body);
}

/** What a request to the listener is shown, and the sign-in's result when it is the real callback. */
interface Answer {
  status: number;
  title: string;
  text: string;
  result?: CallbackResult;
}

/** Judges one request: only a GET of the callback path with the sign-in's own `state` carries a result. */
function answer(req: IncomingMessage, state: string): Answer {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (req.method !== 'GET' || url.pathname !== callbackPath)
    return { status: 404, title: 'Not found', text: 'sso-sync is waiting for the sign-in callback only.' };
  if (url.searchParams.get('state') !== state) {
    // Not our sign-in (or a forged request): refuse it and go on waiting for the real one.
    return {
      status: 400,
      title: 'Sign-in not recognised',
      text: 'This callback does not belong to the sign-in sso-sync started. Start again with sso-sync login.',
    };
  }
  const error = url.searchParams.get('error');
  const code = url.searchParams.get('code');
  if (error) {
    const description = url.searchParams.get('error_description') ?? undefined;
    const text = 'The sign-in was refused. You can close this tab and see the terminal.';
    return { status: 200, title: 'Sign-in was not completed', text, result: { error, description } };
  }
  if (!code) {
    const text = 'The callback carried no authorization code. You can close this tab and see the terminal.';
    const result = { error: 'missing_code', description: 'the callback carried no authorization code' };
    return { status: 400, title: 'Sign-in failed', text, result };
  }
  return { status: 200, title: 'Signed in', text: 'sso-sync is signed in. You can close this tab.', result: { code } };
}

/** Starts the listener; `state` is the value the authorize request carried. */
export async function startCallbackListener(
  state: string,
  timeoutMs: number,
  clock: Clock = systemClock,
): Promise<CallbackListener> {
  let settle: (r: CallbackResult) => void = () => undefined;
  let fail: (e: Error) => void = () => undefined;
  const result = new Promise<CallbackResult>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  let done = false;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (done) {
      page(res, 410, 'Already signed in', 'This sign-in is finished. You can close this tab.');
      return;
    }
    const a = answer(req, state);
    page(res, a.status, a.title, a.text);
    if (a.result) {
      done = true;
      settle(a.result);
    }
  });
  server.keepAliveTimeout = 1;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((resolve) => {
      timer.cancel();
      done = true;
      server.closeAllConnections();
      server.close(() => resolve());
    });
  const timer = clock.setTimer(timeoutMs, () => {
    fail(
      new SsoSyncError(
        'sign-in.required',
        `no sign-in arrived within ${Math.round(timeoutMs / 1000)} seconds; ` +
          `run \`sso-sync login\` again (or \`sso-sync login --device-code\` where the browser cannot reach this ` +
          `machine).`,
      ),
    );
  });
  const finished = result.finally(close);
  finished.catch(() => undefined); // whoever awaits `result` sees the failure; a listener closed early has none
  return { redirectUri: `http://127.0.0.1:${port}${callbackPath}`, result: finished, close };
}
