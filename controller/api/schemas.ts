// The admin API's inputs (validated with zod at the door) and outputs (described for the OpenAPI
// document: z.toJSONSchema renders both). Input rules mirror the service layer's: the service
// still checks everything that needs the database or the queue's rules (number rules, states).
import { z } from 'zod';

const ID_CHARS = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const queueName = z.string().regex(ID_CHARS, { error: 'expected a queue name (letters, digits, _ . -)' });
export const agentId = z.string().regex(ID_CHARS, { error: 'expected an agent id (letters, digits, _ . -)' });
export const entryId = z.string().regex(/^[1-9][0-9]{0,17}$/, { error: 'expected an entry id (digits)' });
export const controllerId = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, { error: 'expected a controller id' });
const isoTime = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 time with a zone, like 2026-12-06T15:30:00+02:00' });
const reason = z.string().max(200).optional().describe('why, for the event log and the reports');

// ---- inputs
export const callbackRequestBody = z.strictObject({
  queue: queueName.describe('the queue whose place the callback takes (at the end of the line)'),
  number: z.string().max(64).describe("the number to call, checked against the queue's number rules exactly as the IVR checks a typed number"),
  earliestAt: isoTime.optional().describe('not dialled before this time'),
  name: z.string().max(80).optional().describe("the customer's name, shown to supervisors"),
});
export const cancelBody = z.strictObject({ reason });
export const requeueBody = z.strictObject({
  position: z.enum(['original', 'end']).describe('original: the same entry back at its own place (a callback that failed, expired or was cancelled); end: a new place at the end of the line'),
});
export const rescheduleBody = z.strictObject({ at: isoTime.describe('not dialled before this time (now or later; the place is kept)') });
export const pauseBody = z.strictObject({ reason });
export const emptyBody = z.strictObject({});
export const queueFilter = z.strictObject({ queue: queueName.optional() });
export const callbackFilter = z.strictObject({
  queue: queueName.optional(),
  all: z.enum(['true', 'false']).optional().describe('true: the latest 200 whatever their state'),
});

// ---- outputs (documentation)
const time = z.string().describe('ISO 8601 time');
const nullableTime = time.nullable();
export const errorBody = z.object({
  error: z.object({
    code: z.enum(['invalid', 'not_found', 'conflict', 'unauthorized', 'forbidden', 'rate_limited', 'too_large', 'unsupported_media_type', 'method_not_allowed', 'internal']),
    message: z.string(),
    field: z.string().optional(),
  }).loose(),
});
export const queueStatus = z.object({
  queueId: z.string(), active: z.boolean(), waiting: z.int(), inMenu: z.int(), callbacksDue: z.int(), callbacksScheduled: z.int(),
  dispatching: z.int(), dialling: z.int(), connected: z.int(), longestWaitSeconds: z.int().nullable(),
  agents: z.object({ idle: z.int(), busy: z.int(), wrapUp: z.int(), onBreak: z.int(), loggedOut: z.int() }),
  open: z.boolean().describe('open now by its opening hours (always true without them)'),
  nextChangeAt: nullableTime.describe('when it next opens or closes; null without opening hours'),
  timeZone: z.string().nullable().describe("the opening hours' IANA time zone; null: no opening hours (always open)"),
});
export const entryView = z.object({
  entryId: z.string(), queueId: z.string(), kind: z.enum(['live', 'callback']), status: z.string(), position: z.int().nullable(),
  arrivedAt: time, waitSeconds: z.int(), callerNumber: z.string().nullable(), callerName: z.string().nullable(),
  callbackNumber: z.string().nullable(), callbackRequestedAt: nullableTime, nextAttemptAt: nullableTime, expiresAt: nullableTime,
  tries: z.int(), maxTries: z.int().nullable(), agentId: z.string().nullable(),
});
export const agentView = z.object({
  id: z.string(), name: z.string(), status: z.enum(['logged_out', 'available', 'on_break']),
  state: z.enum(['idle', 'reserved', 'ringing', 'in_call', 'wrap_up']), breakReason: z.string().nullable(), statusChangedAt: time,
  stateChangedAt: time, readyAt: nullableTime, currentEntryId: z.string().nullable(), noAnswerCount: z.int(), callsAnswered: z.int(),
  talkSeconds: z.number(), active: z.boolean(), tiers: z.array(z.object({ queue: z.string(), level: z.int(), position: z.int() })),
});
export const callbackSummary = z.object({
  entryId: z.string(), queueId: z.string(), number: z.string(), status: z.string(), tries: z.int(), maxTries: z.int().nullable(),
  requestedAt: nullableTime, nextAttemptAt: nullableTime, expiresAt: nullableTime, endedAt: nullableTime, endReason: z.string().nullable(),
});
export const callbackHistory = z.object({
  entryId: z.string(), queueId: z.string(), kind: z.string(), status: z.string(), endReason: z.string().nullable(), number: z.string().nullable(),
  arrivedAt: time, requestedAt: nullableTime, connectedAt: nullableTime, endedAt: nullableTime, nextAttemptAt: nullableTime, expiresAt: nullableTime,
  tries: z.int(), maxTries: z.int().nullable(), requeuedFromId: z.string().nullable(), requeuedToIds: z.array(z.string()),
  attempts: z.array(z.object({
    attemptId: z.string(), attemptNo: z.int(), agentId: z.string().nullable(), offeredAgents: z.array(z.string()), createdAt: time,
    rangAt: nullableTime, agentAnsweredAt: nullableTime, customerAnsweredAt: nullableTime, bridgedAt: nullableTime, endedAt: nullableTime,
    result: z.string().nullable().describe('how the attempt ended (connected, agent_no_answer, customer_busy, …)'),
    hangupCause: z.string().nullable().describe("FreeSWITCH's hangup cause of the leg that ended it"),
  })),
  events: z.array(z.object({ at: time, type: z.string(), agentId: z.string().nullable(), details: z.record(z.string(), z.unknown()) })),
});
export const requestedCallback = z.object({ entryId: z.string(), queueId: z.string(), number: z.string(), nextAttemptAt: time, expiresAt: time });
export const movedCallback = z.object({ entryId: z.string(), previousEntryId: z.string(), position: z.enum(['original', 'end']), nextAttemptAt: time });
export const rescheduled = z.object({ entryId: z.string(), nextAttemptAt: time, expiresAt: time });
export const cancelled = z.object({ entryId: z.string(), from: z.string(), attemptUnderWay: z.boolean() });
export const agentChange = z.object({ changed: z.boolean(), agent: agentView });
export const controllerView = z.object({
  id: z.string(), host: z.string(), pid: z.int(), eslListen: z.string(), httpListen: z.string(), startedAt: time, seenAt: time,
  state: z.enum(['running', 'drain_requested', 'draining', 'stopped', 'gone']),
});
export const queueDay = z.object({
  queueId: z.string(), day: z.string(), timeZone: z.string(),
  hours: z.array(z.object({
    hour: z.int(), answeredLive: z.int(), avgWaitSeconds: z.int().nullable(), maxWaitSeconds: z.int().nullable(),
    callbacksRequested: z.int(), callbacksCompleted: z.int(), callbacksFailed: z.int(), callbacksExpired: z.int(),
  })),
});
export const floorSnapshot = z.object({
  at: time, queues: z.array(queueStatus), entries: z.array(entryView), agents: z.array(agentView),
});
