/**
 * The one place that imports modesl. Everything else talks to FreeSWITCH through the typed
 * adapter (OutboundSession, EslInboundClient), never through modesl objects.
 *
 * modesl 1.2.1 is used with a reviewed patch (patches/modesl+1.2.1.patch, applied by
 * patch-package on install) that fixes its measured defects at the source: a linear parser
 * that cannot throw on a bad percent escape, one write per command with Nagle off, the
 * sendmsg `+OK` taken by its own callback, and no global CHANNEL_EXECUTE_COMPLETE
 * subscription. What modesl still lacks -- timeouts, typed errors, settling pending calls on
 * close, reconnect -- the adapter adds on top.
 */
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

const require = createRequire(import.meta.url);

/** One header of a modesl event, in arrival order. */
export interface ModeslHeader {
  name: string;
  value: string | number;
}

/** The subset of modesl's `Event` the adapter reads. */
export interface ModeslEvent {
  headers: ModeslHeader[];
  body: string;
  getHeader(name: string): string | number | null;
  getBody(): string;
}

/** Frame-level headers as the patched parser hands them over (top-level, decoded). */
export type ModeslFrameHeaders = Record<string, string | number>;

/** The subset of modesl's `Parser` the adapter listens to. */
export interface ModeslParser {
  on(event: 'esl::event', listener: (event: ModeslEvent, headers: ModeslFrameHeaders, body?: string) => void): unknown;
}

/** The subset of modesl's `Connection` the adapter drives. */
export interface ModeslConnection {
  socket: Socket | null;
  parser?: ModeslParser;
  channelData: ModeslEvent | null;
  authed: boolean;
  sendRecv(command: string, args: Record<string, string> | null, cb: (reply: ModeslEvent) => void): void;
  send(command: string, args?: Record<string, string>): void;
  api(command: string, args: string, cb: (res: ModeslEvent) => void): void;
  disconnect(): void;
  on(event: string, listener: (...args: never[]) => void): unknown;
  once(event: string, listener: (...args: never[]) => void): unknown;
  removeAllListeners(event?: string): unknown;
}

interface ModeslModule {
  Connection: new (...args: unknown[]) => ModeslConnection;
  Parser: { decodeValue?: (value: string) => string };
}

const modesl = require('modesl') as ModeslModule;

/** Outbound mode: wrap a socket FreeSWITCH opened to us; modesl sends `connect` at once. */
export function wrapOutboundSocket(socket: Socket, onReady: () => void): ModeslConnection {
  return new modesl.Connection(socket, onReady);
}

/** Inbound mode: dial FreeSWITCH's event socket; modesl answers `auth/request` itself. */
export function dialInbound(host: string, port: number, password: string): ModeslConnection {
  return new modesl.Connection(host, port, password);
}

/** True when the installed modesl carries our patch (checked at start-up, see assertPatched). */
export function isPatched(): boolean {
  return typeof modesl.Parser.decodeValue === 'function';
}

/** Fails loudly when `npm ci` ran without patch-package (the defects would be back). */
export function assertPatched(): void {
  if (!isPatched()) {
    throw new Error('modesl is not patched: run `npm ci` (its postinstall applies patches/modesl+1.2.1.patch)');
  }
}

/** A frame as the patched parser produced it: top-level headers, body, decoded event. */
export interface ParsedFrame {
  headers: ModeslFrameHeaders;
  body: string | undefined;
  event: ModeslEvent;
}

/**
 * A standalone instance of the (patched) modesl parser, fed by hand: for tests that split a
 * byte stream at every position and for the benchmark. `feed` never throws on bad input;
 * malformed frames are reported through `onError`.
 */
export function createStreamParser(onFrame: (frame: ParsedFrame) => void, onError: (err: Error) => void = () => {}): (chunk: Buffer) => void {
  const ParserCtor = (require('modesl/lib/esl/Parser') as new (socket: unknown) => {
    on(ev: string, fn: (...args: never[]) => void): void;
    _onData(chunk: Buffer): void;
  });
  const parser = new ParserCtor(null);
  parser.on('esl::event', ((event: ModeslEvent, headers: ModeslFrameHeaders, body?: string) => onFrame({ event, headers, body })) as (...args: never[]) => void);
  parser.on('error', onError as (...args: never[]) => void);
  return (chunk) => parser._onData(chunk);
}
