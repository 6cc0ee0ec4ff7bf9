import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { CommandNotFoundError, VaultMcpError } from '../errors.js';

/** Exit code of a command that exists but cannot be executed (POSIX shell convention). */
export const EXIT_NOT_EXECUTABLE = 126;

/**
 * Finds the file to execute for `command` the way a shell would, but without a shell: a name with a path
 * separator is taken relative to `cwd`; a bare name is searched in the absolute entries of the child's `PATH`
 * (relative entries such as `.` are skipped, so nothing in the current directory is run by accident) (and, on Windows, with the
 * `PATHEXT` extensions). Doing it ourselves turns a missing server into a clear message and exit 127 instead of
 * a spawn error after the secrets were fetched.
 * @param command argv[0] of the target command, e.g. `npx` or `./server.js`
 * @param env the child's environment (its PATH decides, not ours)
 * @param cwd directory relative paths are resolved against
 * @returns the absolute path of the executable
 * @throws CommandNotFoundError (exit 127) when nothing is found; VaultMcpError exit 126 when the file exists
 *   but is not executable or is a directory
 */
export function resolveExecutable(command: string, env: Readonly<Record<string, string | undefined>>, cwd: string): string {
  const isWindows = process.platform === 'win32';
  const exts = isWindows ? ['', ...(env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean)] : [''];
  const hasSeparator = command.includes('/') || (isWindows && command.includes('\\'));
  let denied: string | undefined;
  const candidates = hasSeparator
    ? [path.resolve(cwd, command)]
    : // only absolute PATH entries: a relative one ('.', 'bin', 'node_modules/.bin') would pick a program out of
      // whatever directory the client started us in (a cloned repository), as Go's os/exec refuses since 1.19
      (env.PATH ?? '').split(path.delimiter).filter((dir) => dir !== '' && path.isAbsolute(dir)).map((dir) => path.join(dir, command));
  for (const base of candidates) {
    for (const ext of exts) {
      const file = base + ext;
      let stat;
      try {
        stat = statSync(file);
      } catch {
        continue;
      }
      if (!stat.isFile()) {
        denied ??= file;
        continue;
      }
      try {
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        denied ??= file;
      }
    }
  }
  if (denied) {
    throw new VaultMcpError(`cannot execute ${denied}: not an executable file`, {
      exitCode: EXIT_NOT_EXECUTABLE,
      hint: `check its permissions (chmod +x) or fix target_command in the service definition`,
    });
  }
  throw new CommandNotFoundError(
    command,
    hasSeparator
      ? 'check the path in target_command of the service definition'
      : `install it or put it on PATH (searched: ${env.PATH ?? '(empty PATH)'}), or fix target_command in the service definition`,
  );
}
