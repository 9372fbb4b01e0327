// Deterministic leg uuids: the same attempt and party always give the same uuid, every party
// its own, and each one is a well-formed RFC 4122 version 5 uuid that FreeSWITCH accepts as
// origination_uuid.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { agentLegUuid, customerLegUuid, legUuid, LEG_UUID_NAMESPACE } from '../../controller/dispatch/leg-uuid.js';

const V5 = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('legUuid', () => {
  it('is stable: same attempt and party, same uuid (also across calls and processes: no randomness)', () => {
    assert.equal(legUuid('42', 'agent:alice'), legUuid('42', 'agent:alice'));
    assert.equal(agentLegUuid('42', 'alice'), legUuid('42', 'agent:alice'));
    assert.equal(customerLegUuid('42'), legUuid('42', 'customer'));
  });

  it('is the RFC 4122 v5 of the name in our namespace', () => {
    // Recomputed independently: sha1(namespace bytes + name), version and variant bits set.
    const ns = Buffer.from(LEG_UUID_NAMESPACE.replaceAll('-', ''), 'hex');
    const h = createHash('sha1').update(Buffer.concat([ns, Buffer.from('attempt:7:customer')])).digest('hex');
    const expected = [h.slice(0, 8), h.slice(8, 12), `5${h.slice(13, 16)}`,
      ((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16) + h.slice(18, 20), h.slice(20, 32)].join('-');
    assert.equal(customerLegUuid('7'), expected);
  });

  it('has the version 5 / RFC 4122 variant shape, lower-case', () => {
    for (let i = 1; i <= 200; i++) {
      for (const u of [agentLegUuid(String(i), `agent-${i % 7}`), customerLegUuid(String(i))]) assert.match(u, V5);
    }
  });

  it('is distinct per party and per attempt', () => {
    const seen = new Set<string>();
    for (let attempt = 1; attempt <= 100; attempt++) {
      for (const u of [customerLegUuid(String(attempt)), ...['alice', 'bob', 'carol', 'customer'].map((a) => agentLegUuid(String(attempt), a))]) {
        assert.ok(!seen.has(u), `duplicate ${u}`);
        seen.add(u);
      }
    }
    assert.equal(seen.size, 500);
    // An agent named "customer" does not get the customer's leg.
    assert.notEqual(agentLegUuid('1', 'customer'), customerLegUuid('1'));
    // No ambiguity between attempt and party: "1" + "2:x" vs "12" + "x".
    assert.notEqual(legUuid('1', '2:x'), legUuid('12', 'x'));
  });
});
