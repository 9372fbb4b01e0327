// Deterministic `origination_uuid`s for the legs of an attempt: a re-run job, a second worker
// and the reconciler all compute the same uuid from the attempt row, so they can find the leg
// (uuid_exists, uuid_kill) without having stored anything first.
//
// Per installation: the name-based uuid is made in the installation's own namespace (a random
// uuid a migration stores in `installation`), so attempt 1 of one database and attempt 1 of
// another — staging beside production on one FreeSWITCH, a database re-created — never compute
// each other's legs (issue 8h: recovery's uuid_exists / uuid_kill would find, and hang up, the
// other installation's call).
//
// It is not a lock (docs/design.md §6): FreeSWITCH happily originates a second leg when the uuid is
// taken, giving it a random one (d08). The worker checks uuid_exists and its attempt row first.
import { createHash } from 'node:crypto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** RFC 4122 version 5 (SHA-1, name-based) of `attempt:<attemptId>:<partyId>` in the installation's namespace. */
export function legUuid(namespace: string, attemptId: string, partyId: string): string {
  if (!UUID.test(namespace)) throw new Error(`leg uuid namespace is not a uuid: ${JSON.stringify(namespace)}`);
  const ns = Buffer.from(namespace.replaceAll('-', ''), 'hex');
  const hash = createHash('sha1').update(ns).update(`attempt:${attemptId}:${partyId}`, 'utf8').digest();
  const b = hash.subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50; // version 5
  b[8] = (b[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The leg ringing agent `agentId` for this attempt (prefixed, so no agent id can be "customer"). */
export function agentLegUuid(namespace: string, attemptId: string, agentId: string): string {
  return legUuid(namespace, attemptId, `agent:${agentId}`);
}

/** The customer leg of a callback attempt. */
export function customerLegUuid(namespace: string, attemptId: string): string {
  return legUuid(namespace, attemptId, 'customer');
}
