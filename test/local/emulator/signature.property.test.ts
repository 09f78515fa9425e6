import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sign, verifySignature } from '../../../local/emulator/index.js';
import { useEmulator } from '../../support/emulator.js';
import { popCall, popClient } from './helpers.js';

// Names pop-core or the gateway set themselves; a business parameter must not collide with them.
const RESERVED = new Set([
  'Action',
  'Version',
  'Format',
  'AccessKeyId',
  'SignatureMethod',
  'SignatureVersion',
  'SignatureNonce',
  'Timestamp',
  'Signature',
  'SecurityToken',
]);

// Codes only the action's own validation answers: the request was authenticated.
const PAST_THE_GATEWAY = [
  undefined,
  'InvalidParameter',
  'InvalidName.Malformed',
  'InvalidName.Duplicate',
  'MissingParameter',
];

// Full Unicode (astral planes too) mixed with the characters percent-encoding treats specially.
const tricky = fc.constantFrom(...Array.from(' !\'()*~-_.+/=&%?#:;,@$[]"<>\\^`{|}\n\t中😀é'));
// Any code point but a lone surrogate (which no UTF-8 request can carry and pop-core cannot encode).
const codePoint = fc
  .integer({ min: 0, max: 0x10ffff })
  .filter((cp) => cp < 0xd800 || cp > 0xdfff)
  .map((cp) => String.fromCodePoint(cp));
const value = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: fc.oneof(tricky, codePoint), maxLength: 20 }),
);
const name = fc
  .string({
    unit: fc.oneof(tricky, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })),
    minLength: 1,
    maxLength: 12,
  })
  .map((n) => `X${n}`)
  .filter((n) => !RESERVED.has(n));
const params = fc.dictionary(name, value, { maxKeys: 5 });

describe('signature v1 over arbitrary parameters', () => {
  const emu = useEmulator({ reset: 'never' });

  it.each(['GET', 'POST'] as const)('verifies whatever real pop-core signs over %s', async (method) => {
    await fc.assert(
      fc.asyncProperty(params, value, async (extra, jobGroupName) => {
        // Act: a ModifyJobGroup carrying arbitrary values; only the business checks may refuse it.
        const result = await popCall(
          popClient(emu),
          'ModifyJobGroup',
          { AlgoLibId: '2', JobGroupId: '3', JobGroupName: jobGroupName, ResourceProfileId: '23', ...extra },
          method,
        );

        // Assess
        expect(PAST_THE_GATEWAY).toContain(result.body.Code);
        if (Object.keys(extra).length > 0) expect(result.body.Code).toBe('InvalidParameter');
      }),
      { numRuns: 120 },
    );
    emu.reset();
  });

  it('sign and verifySignature round-trip and reject any changed value', () => {
    fc.assert(
      fc.property(params, value, fc.constantFrom('GET', 'POST'), (p, secret, method) => {
        const signature = sign(method, p, secret);
        expect(verifySignature(method, { ...p, Signature: signature }, secret)).toBe(true);
        expect(verifySignature(method, { ...p, Extra: 'x', Signature: signature }, secret)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
