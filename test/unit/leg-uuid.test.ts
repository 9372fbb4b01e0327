// Deterministic leg uuids: the same installation, attempt and party always give the same uuid,
// every party its own, each installation its own (issue 8h), and each one is a well-formed
// RFC 4122 version 5 uuid that FreeSWITCH accepts as origination_uuid.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { agentLegUuid, customerLegUuid, legUuid } from '../../controller/dispatch/leg-uuid.js';

const V5 = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const PROD = '0d5e7a86-3f0b-4c53-9a5c-4b1e2f7d9c01';
const STAGING = 'b2f0c4e1-8a7d-4e26-b3c9-71d0a5e6f402';

describe('legUuid', () => {
  it('is stable: same installation, attempt and party, same uuid (no randomness)', () => {
    assert.equal(legUuid(PROD, '42', 'agent:alice'), legUuid(PROD, '42', 'agent:alice'));
    assert.equal(agentLegUuid(PROD, '42', 'alice'), legUuid(PROD, '42', 'agent:alice'));
    assert.equal(customerLegUuid(PROD, '42'), legUuid(PROD, '42', 'customer'));
  });

  it('differs between installations: attempt 1 of one database never names attempt 1 of another', () => {
    assert.notEqual(agentLegUuid(PROD, '1', 'alice'), agentLegUuid(STAGING, '1', 'alice'));
    assert.notEqual(customerLegUuid(PROD, '1'), customerLegUuid(STAGING, '1'));
    const prod = new Set(Array.from({ length: 200 }, (_, i) => customerLegUuid(PROD, String(i + 1))));
    for (let i = 1; i <= 200; i++) assert.ok(!prod.has(customerLegUuid(STAGING, String(i))));
  });

  it('is the RFC 4122 v5 of the name in the installation\'s namespace', () => {
    // Recomputed independently: sha1(namespace bytes + name), version and variant bits set.
    const ns = Buffer.from(PROD.replaceAll('-', ''), 'hex');
    const h = createHash('sha1').update(Buffer.concat([ns, Buffer.from('attempt:7:customer')])).digest('hex');
    const expected = [h.slice(0, 8), h.slice(8, 12), `5${h.slice(13, 16)}`,
      ((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16) + h.slice(18, 20), h.slice(20, 32)].join('-');
    assert.equal(customerLegUuid(PROD, '7'), expected);
  });

  it('has the version 5 / RFC 4122 variant shape, lower-case', () => {
    for (let i = 1; i <= 200; i++) {
      for (const u of [agentLegUuid(PROD, String(i), `agent-${i % 7}`), customerLegUuid(PROD, String(i))]) assert.match(u, V5);
    }
  });

  it('is distinct per party and per attempt', () => {
    const seen = new Set<string>();
    for (let attempt = 1; attempt <= 100; attempt++) {
      for (const u of [customerLegUuid(PROD, String(attempt)), ...['alice', 'bob', 'carol', 'customer'].map((a) => agentLegUuid(PROD, String(attempt), a))]) {
        assert.ok(!seen.has(u), `duplicate ${u}`);
        seen.add(u);
      }
    }
    assert.equal(seen.size, 500);
    // An agent named "customer" does not get the customer's leg.
    assert.notEqual(agentLegUuid(PROD, '1', 'customer'), customerLegUuid(PROD, '1'));
    // No ambiguity between attempt and party: "1" + "2:x" vs "12" + "x".
    assert.notEqual(legUuid(PROD, '1', '2:x'), legUuid(PROD, '12', 'x'));
  });

  it('refuses a namespace that is not a uuid', () => {
    assert.throws(() => legUuid('', '1', 'customer'), /not a uuid/);
    assert.throws(() => legUuid('prod', '1', 'customer'), /not a uuid/);
  });
});
