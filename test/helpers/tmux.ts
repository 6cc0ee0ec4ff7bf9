/**
 * A command in its own tmux server (a real terminal: TTY stdin/stdout/stderr) for tests of terminal behaviour:
 * keys in with send-keys, the screen out with capture-pane. The CLI runs as the built binary when present, else
 * from source with tsx (VAULTMCP_E2E_TSX=1 forces tsx).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { binaryPath, REPO_ROOT } from './binary.js';
import { waitUntil } from './wait.js';

export const haveTmux = spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;

/** argv prefix that starts our CLI (binary, or node + tsx). */
export function cliArgv(): string[] {
  if (process.env.VAULTMCP_E2E_TSX !== '1') {
    try {
      return [binaryPath()];
    } catch {
      /* not built: from source */
    }
  }
  return [process.execPath, '--import', 'tsx', path.join(REPO_ROOT, 'src/main.ts')];
}

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** One tmux server (own socket) running one command in a pane; the pane stays open after exit (`EXIT=n`). */
export class Pane {
  private readonly socket = `vaultmcp-t-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  constructor(argv: string[], env: Record<string, string>, cwd: string, size = { x: 120, y: 40 }) {
    const envArgs = Object.entries(env).map(([k, v]) => `${k}=${shq(v)}`).join(' ');
    const cmd = `cd ${shq(cwd)} && env -i ${envArgs} ${argv.map(shq).join(' ')}; echo "EXIT=$?"; sleep 600`;
    execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', 'new-session', '-d', '-x', String(size.x), '-y', String(size.y), cmd]);
  }
  /** The screen as text; `escapes` keeps colour and attribute sequences (capture-pane -e). */
  screen(escapes = false): string {
    return execFileSync('tmux', ['-L', this.socket, 'capture-pane', '-p', ...(escapes ? ['-e'] : [])], { encoding: 'utf8' });
  }
  keys(...keys: string[]): void {
    execFileSync('tmux', ['-L', this.socket, 'send-keys', ...keys]);
  }
  type(text: string): void {
    execFileSync('tmux', ['-L', this.socket, 'send-keys', '-l', text]);
  }
  /** Waits until the screen matches; fails with the screen shown. */
  async waitFor(re: RegExp, timeoutMs = 20_000, escapes = false): Promise<string> {
    let last = '';
    try {
      await waitUntil(() => re.test((last = this.screen(escapes))), String(re), { timeoutMs, intervalMs: 50 });
    } catch {
      throw new Error(`timed out waiting for ${re}; screen:\n${last}`);
    }
    return last;
  }
  kill(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], { stdio: 'ignore' });
  }
}
