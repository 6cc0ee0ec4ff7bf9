/**
 * The launch floor (bench only, never shipped): the least a Bun-compiled launcher can do on a cache hit. Reads
 * one file, decrypts it with AES-256-GCM (layout: 12-byte IV | ciphertext | 16-byte tag; the key comes "for free"
 * in FLOOR_KEY, base64, so no keychain), then starts the server with the value in its environment and relays
 * stdin → server and server → stdout both ways, exiting with the server's code.
 * Usage: floor FILE VAR COMMAND [ARGS…]
 */
import { spawn } from 'node:child_process';
import { createDecipheriv } from 'node:crypto';
import { readFileSync } from 'node:fs';

const [file, name, cmd, ...args] = process.argv.slice(2);
const buf = readFileSync(file!);
const d = createDecipheriv('aes-256-gcm', Buffer.from(process.env.FLOOR_KEY!, 'base64'), buf.subarray(0, 12));
d.setAuthTag(buf.subarray(buf.length - 16));
const value = Buffer.concat([d.update(buf.subarray(12, buf.length - 16)), d.final()]).toString('utf8');
const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, FLOOR_KEY: undefined, [name!]: value } });
process.stdin.pipe(child.stdin);
child.stdout.pipe(process.stdout);
child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal === 'SIGTERM' ? 15 : 9)));
