// Deterministic `origination_uuid`s for the legs of an attempt: a re-run job, a second worker
// and the reconciler all compute the same uuid from the attempt row, so they can find the leg
// (uuid_exists, uuid_kill) without having stored anything first.
//
// It is not a lock (docs/design.md §6): FreeSWITCH happily originates a second leg when the uuid is
// taken, giving it a random one. The worker checks uuid_exists and its attempt row first.
import { createHash } from 'node:crypto';

/** Our namespace (a fixed random uuid), so our uuids never collide with another scheme's v5 ones. */
export const LEG_UUID_NAMESPACE = '6f1c3a52-9b0e-4d8e-a1f4-5c2b7e90d317';

const NAMESPACE_BYTES = Buffer.from(LEG_UUID_NAMESPACE.replaceAll('-', ''), 'hex');

/** RFC 4122 version 5 (SHA-1, name-based) of `attempt:<attemptId>:<partyId>` in our namespace. */
export function legUuid(attemptId: string, partyId: string): string {
  const hash = createHash('sha1').update(NAMESPACE_BYTES).update(`attempt:${attemptId}:${partyId}`, 'utf8').digest();
  const b = hash.subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50; // version 5
  b[8] = (b[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The leg ringing agent `agentId` for this attempt (prefixed, so no agent id can be "customer"). */
export function agentLegUuid(attemptId: string, agentId: string): string {
  return legUuid(attemptId, `agent:${agentId}`);
}

/** The customer leg of a callback attempt. */
export function customerLegUuid(attemptId: string): string {
  return legUuid(attemptId, 'customer');
}
