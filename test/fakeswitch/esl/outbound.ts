/**
 * The `socket host:port async full` app's connection: FreeSWITCH dials the controller, the client sends `connect`,
 * the app parks the channel and the session's events/commands flow until the session ends (mod_event_socket.c
 * socket_function). Its end: the client's `exit` or close → the socket app returns and the dialplan goes on
 * (nothing left → hangup, b08); the channel hangs up → linger notice or disconnect (b01/b02/b03).
 */
import { connect } from 'node:net';
import type { Channel } from '../model/channel.js';
import { EslListener, type ListenerHost } from './listener.js';

export function parseSocketArg(arg: string): { host: string; port: number } | undefined {
  const target = arg.trim().split(/\s+/)[0] ?? '';
  const i = target.lastIndexOf(':');
  const host = i < 0 ? target : target.slice(0, i);
  const port = i < 0 ? 8084 : parseInt(target.slice(i + 1), 10);
  if (!host || !Number.isFinite(port)) return undefined;
  return { host: host.replace(/^\[|\]$/g, ''), port };
}

/** Connects out for `ch`; resolves with the listener, or undefined when nothing listens (the socket app returns). */
export function openOutbound(host: ListenerHost & { attach(l: EslListener): void }, ch: Channel, arg: string): Promise<EslListener | undefined> {
  const wake = (reason: string): void => {
    const f = ch.executor.stack.find((fr) => fr.app === 'socket' && !fr.ended);
    f?.resolveWait({ kind: 'wake', reason });
  };
  const target = parseSocketArg(arg);
  if (!target) {
    queueMicrotask(() => wake('failed'));
    return Promise.resolve(undefined);
  }
  ch.setVar('socket_host', target.host);
  return new Promise((resolve) => {
    const sock = connect({ host: target.host, port: target.port });
    sock.once('error', () => {
      wake('failed'); // README: if nothing listens on the socket port, the dialplan goes on
      resolve(undefined);
    });
    sock.once('connect', () => {
      sock.removeAllListeners('error');
      const l = new EslListener(host, sock, 'outbound', ch);
      host.attach(l);
      l.onConnect = () => wake('connected');
      l.onClose = (why) => {
        if (why === 'server' || ch.hungUp) return;
        // docs/design.md §6 (checked on 1.10.12): with socket_resume=true the running app is left and the dialplan goes
        // on at once; without it the socket app only returns once the app it runs ends (endless music: never)
        // A caller that uuid_bridge took out of the socket app is reset out of its bridge (bridging.ts).
        if (/^true$/i.test(ch.getVar('socket_resume') ?? '')) {
          if (!ch.resetOutOfBridge?.()) ch.executor.leaveSocket();
        }
        else wake(why); // b08: `exit` or a client close ends the idle socket app; the dialplan goes on
      };
      ch.goneHooks.push(() => l.sessionEnded());
      resolve(l);
    });
  });
}
