// The admin API's routes, as data: method, path, what goes in, what comes out, and the one
// service call each makes. The server (admin-server.ts) matches and validates from this table,
// and the OpenAPI document (openapi.ts) is rendered from it, so the two cannot drift apart.
import { z } from 'zod';
import type { AdminService } from '../service/admin-service.js';
import * as s from './schemas.js';

export interface RouteContext<Q, B> {
  readonly service: AdminService;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Q;
  readonly body: B;
  /** Who acts, for the event log: `api`, `supervisor` (the page) or `open` (no token configured). */
  readonly by: string;
  /** The client's address (rate limits). */
  readonly client: string;
}

export interface Route<Q = unknown, B = unknown> {
  readonly method: 'GET' | 'POST';
  /** OpenAPI style: `/api/v1/callbacks/{id}`. */
  readonly path: string;
  readonly operationId: string;
  readonly tag: 'queues' | 'entries' | 'callbacks' | 'agents' | 'controllers';
  readonly summary: string;
  readonly description?: string;
  readonly params?: Readonly<Record<string, z.ZodType<string>>>;
  readonly query?: z.ZodType<Q>;
  readonly body?: z.ZodType<B>;
  /** Success status and what it returns. */
  readonly ok: { readonly status: 200 | 201 | 202; readonly schema: z.ZodType; readonly description: string };
  /** Error statuses this route can answer beyond 401 (every route but /health needs the token). */
  readonly errors: readonly (400 | 404 | 409 | 429)[];
  /** Callback requests: rate-limited per client and per number (admin-server.ts). */
  readonly rateLimited?: boolean;
  handle(ctx: RouteContext<Q, B>): Promise<unknown>;
}

const route = <Q, B>(r: Route<Q, B>): Route => r as unknown as Route;
const list = <T extends z.ZodType>(key: string, item: T) => z.object({ [key]: z.array(item) });

export const ROUTES: readonly Route[] = [
  route({
    method: 'GET', path: '/api/v1/floor', operationId: 'getFloor', tag: 'queues',
    summary: 'The whole floor in one read: queues, active entries and agents (what the supervisor page shows; /api/v1/floor/events streams it)',
    ok: { status: 200, schema: s.floorSnapshot, description: 'a snapshot' }, errors: [],
    handle: ({ service }) => service.floor(),
  }),
  route({
    method: 'GET', path: '/api/v1/queues', operationId: 'listQueues', tag: 'queues',
    summary: 'Queues with live counts and the longest wait',
    ok: { status: 200, schema: list('queues', s.queueStatus), description: 'every queue, configured ones first' }, errors: [],
    handle: async ({ service }) => ({ queues: await service.queues() }),
  }),
  route({
    method: 'GET', path: '/api/v1/queues/{queue}', operationId: 'getQueue', tag: 'queues', summary: "One queue's live counts",
    params: { queue: s.queueName },
    ok: { status: 200, schema: s.queueStatus, description: 'the queue' }, errors: [400, 404],
    handle: ({ service, params }) => service.queue(params.queue!),
  }),
  route({
    method: 'GET', path: '/api/v1/queues/{queue}/today', operationId: 'getQueueToday', tag: 'queues',
    summary: "Today's chart per hour: waits, callbacks requested / completed / failed / expired",
    params: { queue: s.queueName },
    ok: { status: 200, schema: s.queueDay, description: "the queue's day, in the admin service's time zone" }, errors: [400, 404],
    handle: async ({ service, params }) => {
      await service.queue(params.queue!);
      return (await service.today(params.queue!))[0];
    },
  }),
  route({
    method: 'GET', path: '/api/v1/entries', operationId: 'listEntries', tag: 'entries',
    summary: 'Live callers and callbacks in queue order, with place, wait, state, next attempt and tries',
    query: s.queueFilter,
    ok: { status: 200, schema: list('entries', s.entryView), description: 'active entries' }, errors: [400],
    handle: async ({ service, query }) => ({ entries: await service.entries({ queueId: (query as { queue?: string }).queue }) }),
  }),
  route({
    method: 'GET', path: '/api/v1/callbacks', operationId: 'listCallbacks', tag: 'callbacks',
    summary: 'Callbacks still to be served in place order (or the latest 200 with all=true)',
    query: s.callbackFilter,
    ok: { status: 200, schema: list('callbacks', s.callbackSummary), description: 'callbacks' }, errors: [400],
    handle: async ({ service, query }) => {
      const q = query as { queue?: string; all?: string };
      return { callbacks: await service.callbacks({ queueId: q.queue, all: q.all === 'true' }) };
    },
  }),
  route({
    method: 'POST', path: '/api/v1/callbacks', operationId: 'requestCallback', tag: 'callbacks',
    summary: 'Request a callback',
    description: "The callback takes a place at the end of the queue's line, under the IVR's rules: the queue must take callbacks, the number must pass the queue's number rules, and a number has at most one active callback per queue (409 names it). Rate-limited per client and per number (429 with Retry-After).",
    body: s.callbackRequestBody, rateLimited: true,
    ok: { status: 201, schema: s.requestedCallback, description: 'the callback is queued' }, errors: [400, 404, 409, 429],
    handle: ({ service, body, by, client }) => {
      const b = body as z.output<typeof s.callbackRequestBody>;
      return service.requestCallback({
        queue: b.queue, number: b.number, name: b.name, earliestAt: b.earliestAt ? new Date(b.earliestAt) : undefined,
        source: by === 'supervisor' ? 'supervisor' : `api:${client}`,
      });
    },
  }),
  route({
    method: 'GET', path: '/api/v1/callbacks/{id}', operationId: 'getCallback', tag: 'callbacks',
    summary: "One callback's history: every attempt with its outcome and hangup cause, and its event log",
    params: { id: s.entryId },
    ok: { status: 200, schema: s.callbackHistory, description: 'the entry and its story' }, errors: [400, 404],
    handle: ({ service, params }) => service.callback(params.id!),
  }),
  route({
    method: 'POST', path: '/api/v1/callbacks/{id}/cancel', operationId: 'cancelCallback', tag: 'callbacks',
    summary: 'Cancel a callback not yet connected (an agent already ringing for it is released; the customer is not dialled)',
    params: { id: s.entryId }, body: s.cancelBody,
    ok: { status: 200, schema: s.cancelled, description: 'cancelled' }, errors: [400, 404, 409],
    handle: async ({ service, params, body, by }) => ({ entryId: params.id!, ...(await service.cancelCallback(params.id!, (body as { reason?: string }).reason ?? by, by)) }),
  }),
  route({
    method: 'POST', path: '/api/v1/callbacks/{id}/requeue', operationId: 'requeueCallback', tag: 'callbacks',
    summary: 'Put a callback back in line: at its original place, or at the end',
    params: { id: s.entryId }, body: s.requeueBody,
    ok: { status: 200, schema: s.movedCallback, description: 'the entry now holding the callback' }, errors: [400, 404, 409],
    handle: ({ service, params, body, by }) => service.requeueCallback(params.id!, (body as { position: 'original' | 'end' }).position, by),
  }),
  route({
    method: 'POST', path: '/api/v1/callbacks/{id}/reschedule', operationId: 'rescheduleCallback', tag: 'callbacks',
    summary: 'Set when a pending callback may be dialled next (its place is kept)',
    params: { id: s.entryId }, body: s.rescheduleBody,
    ok: { status: 200, schema: s.rescheduled, description: 'rescheduled' }, errors: [400, 404, 409],
    handle: ({ service, params, body, by }) => service.rescheduleCallback(params.id!, new Date((body as { at: string }).at), by),
  }),
  route({
    method: 'GET', path: '/api/v1/agents', operationId: 'listAgents', tag: 'agents', summary: 'Agents with status, state, since when, and queue tiers',
    ok: { status: 200, schema: list('agents', s.agentView), description: 'every agent' }, errors: [],
    handle: async ({ service }) => ({ agents: await service.agents() }),
  }),
  route({
    method: 'GET', path: '/api/v1/agents/{agent}', operationId: 'getAgent', tag: 'agents', summary: 'One agent',
    params: { agent: s.agentId },
    ok: { status: 200, schema: s.agentView, description: 'the agent' }, errors: [400, 404],
    handle: ({ service, params }) => service.agent(params.agent!),
  }),
  ...(['login', 'logout', 'pause', 'resume'] as const).map((action) => route({
    method: 'POST', path: `/api/v1/agents/{agent}/${action}`, operationId: `${action}Agent`, tag: 'agents',
    summary: {
      login: 'Log an agent in (available)', logout: 'Log an agent out (after the current call, if any)',
      pause: 'Put an agent on a break (after the current call, if any)', resume: 'End the break: available again',
    }[action],
    params: { agent: s.agentId }, body: action === 'pause' ? s.pauseBody : s.emptyBody,
    ok: { status: 200, schema: s.agentChange, description: 'the agent after the change (changed: false when it was already so)' }, errors: [400, 404, 409],
    handle: ({ service, params, body, by }) => service.changeAgent(params.agent!, action, (body as { reason?: string }).reason, by),
  })),
  route({
    method: 'GET', path: '/api/v1/controllers', operationId: 'listControllers', tag: 'controllers',
    summary: 'Controller processes: running, draining, stopped, or gone (not seen for 15 s)',
    ok: { status: 200, schema: list('controllers', s.controllerView), description: 'controllers seen in the last day' }, errors: [],
    handle: async ({ service }) => ({ controllers: await service.controllers() }),
  }),
  route({
    method: 'POST', path: '/api/v1/controllers/{id}/drain', operationId: 'drainController', tag: 'controllers',
    summary: 'Drain a controller: no new callers on it, the live ones go on to their end, then it stops (as on SIGTERM)',
    params: { id: s.controllerId }, body: s.emptyBody,
    ok: { status: 202, schema: s.controllerView, description: 'asked; the controller drains' }, errors: [400, 404, 409],
    handle: ({ service, params, by }) => service.drainController(params.id!, by),
  }),
];
