import { PassThrough, type Readable } from 'node:stream';
import type { MessageFilter } from '../../core/launcher/index.js';

/**
 * Keeps an MCP client's stdio session alive across a gateway restart (`gateway run --watch`): the client spoke
 * `initialize` and `notifications/initialized` to the first gateway only, and a new gateway process answers
 * nothing else before them. So the client's lines are forwarded whole (never half a message to a stopping
 * gateway) to the current gateway's stdin, the two handshake messages are remembered, and a restarted gateway
 * gets them first; its answer to the replayed `initialize` is dropped (the client had its answer long ago) by
 * {@link HandshakeReplay.filter}. Everything else passes untouched.
 */
export class HandshakeReplay {
  private tail: Buffer[] = [];
  private target = new PassThrough();
  private initialize?: string;
  private initialized?: string;
  private initializeId?: string | number;
  private dropId?: string | number;
  /** True once the client closed its side. */
  ended = false;

  /** A filter on the gateway's stdout that drops the answer to a replayed `initialize`. */
  readonly filter: MessageFilter = {
    name: 'handshake-replay',
    transform: (message) => {
      if (this.dropId === undefined) return message;
      try {
        const m = JSON.parse(message.toString('utf8')) as { id?: string | number; method?: string };
        if (m.id === this.dropId && m.method === undefined) {
          this.dropId = undefined;
          return null;
        }
      } catch {
        /* not ours to judge */
      }
      return message;
    },
  };

  /** @param source the client's side (our stdin) */
  constructor(private readonly source: Readable) {
    source.on('data', (chunk: Buffer) => this.onData(chunk));
    source.once('end', () => {
      this.ended = true;
      if (this.tail.length) this.target.write(Buffer.concat(this.tail));
      this.tail = [];
      this.target.end();
    });
  }

  /** The stream to give the gateway being started as its stdin. */
  get stdin(): PassThrough {
    return this.target;
  }

  /**
   * A fresh stdin for a restarted gateway, starting with the remembered handshake (if the client got that far).
   * @returns the stream; the client's next lines go there
   */
  restart(): PassThrough {
    this.target = new PassThrough();
    if (this.initialize !== undefined) {
      this.target.write(this.initialize + '\n');
      this.dropId = this.initializeId;
      if (this.initialized !== undefined) this.target.write(this.initialized + '\n');
    }
    if (this.ended) this.target.end();
    return this.target;
  }

  private onData(chunk: Buffer): void {
    const last = chunk.lastIndexOf(0x0a);
    if (last < 0) {
      this.tail.push(chunk);
      return;
    }
    const complete = this.tail.length ? Buffer.concat([...this.tail, chunk.subarray(0, last + 1)]) : chunk.subarray(0, last + 1);
    const rest = chunk.subarray(last + 1);
    this.tail = rest.length ? [rest] : [];
    if (this.initialize === undefined || this.initialized === undefined) this.remember(complete);
    // backpressure: a gateway that reads slowly slows the client down instead of growing our memory
    const target = this.target;
    if (!target.write(complete)) {
      this.source.pause();
      const resume = () => {
        target.off('drain', resume);
        target.off('close', resume);
        this.source.resume();
      };
      target.on('drain', resume);
      target.on('close', resume);
    }
  }

  private remember(lines: Buffer): void {
    for (const raw of lines.toString('utf8').split('\n')) {
      const line = raw.trim();
      if (!line.includes('initialize')) continue;
      try {
        const m = JSON.parse(line) as { id?: string | number; method?: string };
        if (m.method === 'initialize' && m.id !== undefined && this.initialize === undefined) {
          this.initialize = line;
          this.initializeId = m.id;
        } else if (m.method === 'notifications/initialized' && this.initialized === undefined) {
          this.initialized = line;
        }
      } catch {
        /* not a message */
      }
    }
  }
}
