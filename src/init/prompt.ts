/**
 * Questions at the terminal, with node:readline/promises: the prompt on stderr (stdout carries the sync's output), an
 * empty answer taken as the default, and Ctrl-C or Ctrl-D (end of input) as a stop the caller can report, not a hang.
 */
import { createInterface } from 'node:readline/promises';

/** The person stopped at a prompt: Ctrl-C, or the end of the input (Ctrl-D). */
export class PromptStopped extends Error {
  constructor(readonly how: 'Ctrl-C' | 'Ctrl-D, the end of the input') {
    super(`stopped at a prompt (${how})`);
    this.name = 'PromptStopped';
  }
}

/** Asks one question at a time. */
export interface Prompter {
  /** Shows `prompt` as it is; resolves with the answer trimmed, or `fallback` for an empty one. */
  ask(prompt: string, fallback?: string): Promise<string>;
}

/**
 * A prompter on the process's terminal. Each question opens its own readline interface and closes it once answered,
 * so that between questions (a sign-in, a sync) the terminal is left as it was and Ctrl-C stops the process as usual.
 */
export function terminalPrompter(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Prompter {
  let stopped: PromptStopped | undefined;
  // Read through a call: set by the readline's events, which the compiler does not see run.
  const stopCause = (): PromptStopped | undefined => stopped;
  // Lines that came with an answer (typed ahead, or pasted several at once): the answers to the next questions.
  const ahead: string[] = [];
  const take = (answer: string, fallback: string | undefined) =>
    answer === '' && fallback !== undefined ? fallback : answer;
  return {
    async ask(prompt, fallback) {
      const next = ahead.shift();
      if (next !== undefined) {
        output.write(`${prompt}${next}\n`);
        return take(next.trim(), fallback);
      }
      // A stream already ended (Ctrl-D between questions, a closed pipe) would never answer.
      if (!stopped && (input as { readableEnded?: boolean }).readableEnded)
        stopped = new PromptStopped('Ctrl-D, the end of the input');
      if (stopped) throw stopped;
      const rl = createInterface({ input, output, terminal: (input as { isTTY?: boolean }).isTTY === true });
      const controller = new AbortController();
      let answered = false;
      const stop = (how: PromptStopped['how']) => {
        if (answered) return;
        stopped ??= new PromptStopped(how);
        controller.abort();
      };
      rl.on('SIGINT', () => {
        output.write('\n');
        stop('Ctrl-C');
      });
      rl.on('close', () => stop('Ctrl-D, the end of the input'));
      // The question takes the first line; readline hands on the others as lines nobody asked for.
      rl.on('line', (line) => ahead.push(line));
      try {
        const answer = (await rl.question(prompt, { signal: controller.signal })).trim();
        answered = true;
        return take(answer, fallback);
      } catch (error) {
        throw stopCause() ?? error;
      } finally {
        answered = true;
        rl.close();
      }
    },
  };
}
