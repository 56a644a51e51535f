/** The systemd user unit: its text from the template, with every path escaped as systemd reads it. */
import { SsoSyncError } from '../errors.js';
import { fillTemplate } from './template.js';
import type { ServicePlan } from './plan.js';

// eslint-disable-next-line no-control-regex -- the control characters are what this refuses
const controlCharacter = /[\u0000-\u001f\u007f]/;

/** Refuses what no unit file can hold: a control character (a newline would end the line). */
function checkRepresentable(what: string, value: string): void {
  if (controlCharacter.test(value)) {
    throw new SsoSyncError(
      'usage',
      `cannot write the systemd unit: ${what} ${JSON.stringify(value)} contains a control character, which a unit ` +
        `file cannot hold. Use a path without one.`,
    );
  }
}

/**
 * One item in double quotes, as systemd unquotes it: `\` and `"` escaped with a backslash, `%` doubled
 * (it starts a specifier). Every setting used here accepts quoted items and specifiers.
 */
function quoted(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&').replace(/%/g, '%%')}"`;
}

/**
 * The program of ExecStart=. systemd refuses quotes and backslashes in it ("Executable name contains
 * special characters") and does not expand `$` there, so only `%` needs escaping.
 */
export function systemdExecutable(file: string): string {
  checkRepresentable('the Node.js binary', file);
  if (/["'\\]/.test(file)) {
    throw new SsoSyncError(
      'usage',
      `cannot write the systemd unit: the Node.js binary ${JSON.stringify(file)} contains a quote or a backslash, ` +
        `which systemd does not accept in the program it starts. ` +
        `Install Node.js at a path without one, or run the install with a Node.js that lives at such a path.`,
    );
  }
  return `"${file.replace(/%/g, '%%')}"`;
}

/** An argument of ExecStart=: quoted, and `$` doubled, since systemd expands variables in arguments. */
export function systemdArgument(value: string, what = 'the sso-sync script'): string {
  checkRepresentable(what, value);
  return quoted(value).replace(/\$/g, '$$$$');
}

/** One `NAME=value` item of Environment= (systemd does not expand `$` there). */
export function systemdAssignment(name: string, value: string): string {
  checkRepresentable(`the value of ${name}`, value);
  return quoted(`${name}=${value}`);
}

/** One path of ReadWritePaths= and its kin. */
export function systemdPath(value: string): string {
  checkRepresentable('the directory', value);
  return quoted(value);
}

/** The unit text: the template with this installation's paths. */
export function renderSystemdUnit(template: string, plan: ServicePlan): string {
  return fillTemplate(template, {
    NODE: systemdExecutable(plan.nodePath),
    NODE_FLAGS: plan.nodeFlags.map((flag) => systemdArgument(flag, "Node.js's option")).join(' '),
    CLI: systemdArgument(plan.cliPath),
    ENVIRONMENT: plan.environment.map(([name, value]) => systemdAssignment(name, value)).join(' '),
    READ_WRITE_PATHS: plan.writablePaths.map(systemdPath).join(' '),
  });
}
