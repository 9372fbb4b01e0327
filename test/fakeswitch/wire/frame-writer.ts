/**
 * Writes frames to a socket with a chosen chunking, so client parsers meet what real FreeSWITCH does:
 * it often packs several messages into one TCP chunk and splits large ones (README "Chunk boundaries").
 * - 'natural':   one socket.write per frame (the kernel may still coalesce);
 * - 'coalesce':  every frame written in the same tick goes out in one write;
 * - { splitEvery: n }: the byte stream is cut into n-byte writes, one per event-loop turn.
 */
import type { Socket } from 'node:net';

export type Chunking = 'natural' | 'coalesce' | { splitEvery: number };

export class FrameWriter {
  readonly #socket: Socket;
  readonly #chunking: Chunking;
  #queue: Buffer[] = [];
  #scheduled = false;
  #closing = false;
  #closed = false;

  constructor(socket: Socket, chunking: Chunking = 'natural') {
    this.#socket = socket;
    this.#chunking = chunking;
    socket.setNoDelay(true); // listener_run sets SWITCH_SO_TCP_NODELAY
    socket.on('close', () => {
      this.#closed = true;
    });
  }

  get closed(): boolean {
    return this.#closed || this.#closing;
  }

  /** Queues one frame. Frames written after end() are dropped. */
  write(frame: Buffer): void {
    if (this.#closed || this.#closing || this.#socket.destroyed) return;
    if (this.#chunking === 'natural') {
      if (this.#queue.length === 0 && !this.#scheduled) {
        this.#socket.write(frame);
        return;
      }
      this.#queue.push(frame);
      return;
    }
    this.#queue.push(frame);
    this.#schedule();
  }

  /** Writes everything queued, then closes the socket (FIN). */
  end(): void {
    if (this.#closing || this.#closed) return;
    this.#closing = true;
    if (!this.#scheduled) this.#flushAndMaybeEnd();
  }

  /** Closes at once, dropping anything queued. */
  destroy(): void {
    this.#closing = true;
    this.#queue = [];
    this.#socket.destroy();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#flushAndMaybeEnd();
    });
  }

  #flushAndMaybeEnd(): void {
    if (this.#socket.destroyed) return;
    if (this.#queue.length) {
      const all = Buffer.concat(this.#queue);
      this.#queue = [];
      const c = this.#chunking;
      if (typeof c === 'object' && c.splitEvery > 0 && all.length > c.splitEvery) {
        this.#socket.write(all.subarray(0, c.splitEvery));
        this.#queue.unshift(all.subarray(c.splitEvery));
        this.#schedule();
        return;
      }
      this.#socket.write(all);
    }
    if (this.#closing) this.#socket.end();
  }
}
