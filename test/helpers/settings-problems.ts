/** The problems a settings text is refused with (exit 2), each `/s.yaml: key: what` as the message lists them. */
import assert from 'node:assert/strict';
import { parseSettings } from '../../src/settings/check-settings.js';

export function settingsProblems(text: string): string[] {
  try {
    parseSettings(text, '/s.yaml');
  } catch (error) {
    assert.equal((error as { exitCode?: number }).exitCode, 2);
    return (error as Error).message
      .split('\n')
      .filter((l) => l.startsWith('  /s.yaml'))
      .map((l) => l.trim());
  }
  return assert.fail('expected the settings to be refused');
}
