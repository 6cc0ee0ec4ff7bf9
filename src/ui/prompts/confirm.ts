import type { Readable, Writable } from 'node:stream';
import { VaultMcpError } from '../../core/errors.js';

/**
 * Asks a y/N question on stderr and reads one line from stdin. Call it only when the factory's `canPrompt()` says
 * so. Ctrl-C, SIGTERM and SIGHUP end the question with the terminal restored (readline puts it in raw mode) and
 * exit 128+N.
 * @param io the invocation's stdin (a terminal) and stderr
 * @param nothingDone what to say was not done, e.g. "nothing was deleted"
 * @returns true for y/yes (any case)
 * @throws VaultMcpError exit 130 (Ctrl-C), 143 (SIGTERM), 129 (SIGHUP)
 */
export async function confirm(io: { stdin: Readable; stderr: Writable }, question: string, nothingDone = 'nothing was changed'): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: true });
  const signals = [
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const;
  const handlers: Array<[NodeJS.Signals, () => void]> = [];
  try {
    const answer = await new Promise<string>((resolve, reject) => {
      const interrupt = (what: string, exitCode: number) => {
        io.stderr.write('\n');
        reject(new VaultMcpError(`${what}; ${nothingDone}`, { exitCode }));
      };
      rl.question(`${question} [y/N] `).then(resolve, () => resolve(''));
      rl.once('close', () => resolve(''));
      rl.once('SIGINT', () => interrupt('aborted', 130));
      for (const [signal, code] of signals) {
        const handler = () => interrupt(`interrupted by ${signal}`, code);
        handlers.push([signal, handler]);
        process.once(signal, handler);
      }
    });
    return /^(y|yes)$/i.test(answer.trim());
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
    rl.close();
  }
}
