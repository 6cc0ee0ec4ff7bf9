import { Transform, type TransformCallback } from 'node:stream';

/**
 * A stream filter between the MCP server and the client (leak guard, restart-on-rotation, …). The MCP stdio
 * transport is newline-delimited JSON-RPC and a message never contains a raw newline, so a filter always sees
 * exactly one whole message: the bytes of one line WITHOUT its terminating `\n` (a `\r` before it, if any, is
 * left in). Chunk boundaries never reach a filter.
 *
 * Return the (possibly rewritten) message bytes, or `null` to drop the message. A filter may be async; messages
 * stay in order and backpressure holds (the next chunk is not read until the chain is done with this one).
 */
export interface MessageFilter {
  /** Short name for diagnostics, e.g. `leak-guard`. */
  readonly name: string;
  transform(message: Buffer, context?: FilterContext): Buffer | null | Promise<Buffer | null>;
}

/** What a filter may do besides rewriting the message it sees. */
export interface FilterContext {
  /**
   * Sends one message (without its `\n`) back to the side this message came from, e.g. a JSON-RPC error for a
   * request the filter refused. Replies are whole lines and never split another message; a no-op once that side
   * is closed.
   */
  reply(message: Buffer): void;
}

const NEWLINE = 0x0a;
const NEWLINE_BUF = Buffer.from('\n');

/** Default longest line (bytes) held while waiting for its newline: 64 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/**
 * A Transform that frames a byte stream into lines and runs each complete line through a filter chain in order.
 * With no filters it is a byte-exact pass-through of complete lines: each chunk's complete-line prefix is
 * forwarded as one slice (no copy), and only an unterminated tail is held until its `\n` arrives. At end of
 * stream an unterminated tail is flushed as is (through the filters too), so nothing is ever lost.
 * Backpressure is the Transform's own: when the destination is slow, the source is paused.
 * A line longer than `maxMessageBytes` without a newline fails the stream (a server that never writes a newline
 * would otherwise grow our memory without bound).
 */
export class LineFilterStream extends Transform {
  readonly filters: readonly MessageFilter[];
  private readonly maxMessageBytes: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly context: FilterContext;

  /**
   * @param filters the chain; empty means pass-through
   * @param options.maxMessageBytes see the class comment; default {@link DEFAULT_MAX_MESSAGE_BYTES}
   * @param options.reply where a filter's {@link FilterContext.reply} goes (usually the opposite direction's
   *   {@link LineFilterStream.inject}); default: dropped
   */
  constructor(filters: readonly MessageFilter[] = [], options: { maxMessageBytes?: number; reply?: (message: Buffer) => void } = {}) {
    super({ highWaterMark: 64 * 1024 });
    this.filters = filters;
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    const reply = options.reply;
    this.context = { reply: (m) => reply?.(m) };
  }

  /**
   * Emits one message of ours (without its `\n`) on this stream's output, between two messages of the source (the
   * output only ever carries whole lines). Not filtered. Ignored once the stream has ended.
   */
  inject(message: Buffer): void {
    if (this.writableEnded || this.readableEnded || this.destroyed) return;
    this.push(Buffer.concat([message, NEWLINE_BUF]));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const last = chunk.lastIndexOf(NEWLINE);
    if (last < 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes > this.maxMessageBytes) {
        done(new Error(`the MCP server wrote more than ${this.maxMessageBytes} bytes without a newline`));
      } else {
        done();
      }
      return;
    }
    const head = chunk.subarray(0, last + 1);
    const tail = chunk.subarray(last + 1);
    const complete = this.pending.length > 0 ? Buffer.concat([...this.pending, head]) : head;
    this.pending = tail.length > 0 ? [tail] : [];
    this.pendingBytes = tail.length;
    if (this.filters.length === 0) {
      done(null, complete);
      return;
    }
    this.filterLines(complete).then((out) => done(null, out ?? undefined), done);
  }

  override _flush(done: TransformCallback): void {
    if (this.pendingBytes === 0) {
      done();
      return;
    }
    const rest = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    if (this.filters.length === 0) {
      done(null, rest);
      return;
    }
    this.runChain(rest).then((out) => done(null, out ?? undefined), done);
  }

  /**
   * Runs each `\n`-terminated line of `block` through the chain; returns what to push (null: nothing). When every
   * filter returned its input unchanged (the common case) the block itself is pushed, without a copy; filters that
   * answer synchronously cost no promise per message.
   */
  private async filterLines(block: Buffer): Promise<Buffer | null> {
    const out: Buffer[] = [];
    let unchanged = true;
    let start = 0;
    while (start < block.length) {
      const nl = block.indexOf(NEWLINE, start);
      const message = block.subarray(start, nl);
      start = nl + 1;
      let result = this.runChainSync(message);
      if (result instanceof Promise) result = await result;
      if (result !== message) unchanged = false;
      if (result !== null) out.push(result, NEWLINE_BUF);
    }
    if (unchanged) return block;
    return out.length > 0 ? Buffer.concat(out) : null;
  }

  private runChain(message: Buffer): Promise<Buffer | null> {
    return Promise.resolve(this.runChainSync(message));
  }

  /** The chain over one message; a promise only once a filter returned one. */
  private runChainSync(message: Buffer, from = 0): Buffer | null | Promise<Buffer | null> {
    let current: Buffer | null = message;
    for (let i = from; i < this.filters.length; i++) {
      const result: Buffer | null | Promise<Buffer | null> = this.filters[i]!.transform(current, this.context);
      if (result instanceof Promise) {
        return result.then((r) => (r === null ? null : this.runChainSync(r, i + 1)));
      }
      current = result;
      if (current === null) return null;
    }
    return current;
  }
}
