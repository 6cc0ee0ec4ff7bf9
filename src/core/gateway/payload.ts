import { CATALOG_SECRET_NAME } from './map.js';

/**
 * The `--secrets` file format of the Docker MCP gateway (docker/mcp-gateway pkg/gateway/configuration.go
 * `readSecretsFromFile`, checked at 2bd20fe8): the file is read whole; each line is scanned with Go's
 * bufio.Scanner (64 KiB per line), skipped when it starts with `#`, trimmed, skipped when empty, then split at the
 * first `=` into catalog secret name and value; a line without `=` fails the whole file. No quoting, no escapes.
 * So a value must not contain a line break, and leading/trailing whitespace would be trimmed away.
 */

/** Longest line the gateway's scanner accepts (bufio.MaxScanTokenSize), bytes including the key and `=`. */
export const MAX_LINE_BYTES = 64 * 1024 - 1;

/** Why a value cannot travel in the gateway's format, or undefined when it can. Never contains the value. */
export function payloadProblem(name: string, value: string): string | undefined {
  if (!CATALOG_SECRET_NAME.test(name)) return `'${name}' is not a catalog secret name`;
  if (/[\r\n]/.test(value)) return `the value of ${name} contains a line break, which the gateway's .env format cannot carry`;
  if (value !== value.trim()) return `the value of ${name} starts or ends with whitespace, which the gateway would trim away`;
  if (value === '') return `the value of ${name} is empty`;
  if (Buffer.byteLength(name) + 1 + Buffer.byteLength(value) > MAX_LINE_BYTES) return `the value of ${name} is longer than the gateway reads in one line (64 KiB)`;
  return undefined;
}

/**
 * Formats `name=value` lines, one per secret, in the given order.
 * @param secrets catalog secret name → value
 * @returns the payload bytes (the caller zeroes them when done)
 * @throws Error naming the first secret that cannot be carried ({@link payloadProblem}); never the value
 */
export function formatSecretsPayload(secrets: ReadonlyArray<readonly [string, string]>): Buffer {
  for (const [name, value] of secrets) {
    const problem = payloadProblem(name, value);
    if (problem) throw new Error(problem);
  }
  return Buffer.from(secrets.map(([name, value]) => `${name}=${value}\n`).join(''), 'utf8');
}
