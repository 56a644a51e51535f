/** Opening a URL in the person's browser, never through a shell: the URL is one argument, whatever it holds. */
import { spawn } from 'node:child_process';

/** The command that opens a URL here, or undefined when there is no browser to open (e.g. over SSH). */
export function browserCommand(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): [string, ...string[]] | undefined {
  if (env.BROWSER) return [env.BROWSER];
  if (platform === 'darwin') return env.SSH_CONNECTION ? undefined : ['open'];
  if (platform === 'win32') return ['rundll32', 'url.dll,FileProtocolHandler'];
  // Elsewhere a browser needs a display; over SSH without one, printing the URL is all that can be done.
  return env.DISPLAY || env.WAYLAND_DISPLAY ? ['xdg-open'] : undefined;
}

/** Starts the browser on the URL; resolves false when none could be started. */
export function openBrowser(
  url: string,
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
): Promise<boolean> {
  const command = browserCommand(env, platform);
  if (!command) return Promise.resolve(false);
  const [file, ...args] = command;
  return new Promise((resolve) => {
    const child = spawn(file, [...args, url], { stdio: 'ignore', detached: true, shell: false });
    child.once('error', () => resolve(false));
    child.once('spawn', () => {
      child.unref();
      resolve(true);
    });
  });
}

/**
 * Why a browser on this machine cannot finish a sign-in, when it cannot: the redirect of the browser flow comes back
 * to this machine's loopback, so it needs a browser here. Undefined when one can be opened (or $BROWSER is set).
 */
export function noBrowserHere(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string | undefined {
  if (browserCommand(env, platform) !== undefined) return undefined;
  return env.SSH_CONNECTION || env.SSH_TTY
    ? 'an SSH session, without a browser here'
    : 'no display to open a browser on';
}
