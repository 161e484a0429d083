/**
 * sdk/ts/secp256k1.ts: libsecp256k1 signing and recovery. Differential against ethers (the same bytes, the
 * same signer) and against the ProcessRegistry (what the chain refuses is refused here).
 */
import { expect } from "chai";
import fc from "fast-check";
import {
  SigningKey,
  Wallet,
  computeAddress,
  getBytes,
  hexlify,
  recoverAddress as ethersRecover,
} from "ethers";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import { recoverAddress, signDigest, publicKeyOf, SignatureError } from "../../sdk/ts/secp256k1";
import { assignmentHash, signAssignment } from "../../sdk/ts/assignments";
import { deployRegistries, makeAssignment } from "../helpers/registry";

const ZERO_ADDRESS = "0x" + "00".repeat(20);
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

const key = fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((b) => {
  const k = BigInt(hexlify(b));
  return k > 0n && k < N;
});
const digest = fc.uint8Array({ minLength: 32, maxLength: 32 });

/** `sig` with one byte range replaced. */
function patch(sig: string, at: number, bytes: Uint8Array): string {
  const b = getBytes(sig).slice();
  b.set(bytes, at);
  return hexlify(b);
}

function word(n: bigint): Uint8Array {
  return getBytes("0x" + n.toString(16).padStart(64, "0"));
}

function expectRefused(f: () => unknown, field: SignatureError["field"]): void {
  let caught: unknown;
  try {
    f();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a SignatureError on ${field}`).to.be.instanceOf(SignatureError);
  expect((caught as SignatureError).field).to.equal(field);
}

describe("sdk/ts/secp256k1", function () {
  it("test_signDigest_equalsEthersSigningKey_property", function () {
    fc.assert(
      fc.property(key, digest, (k, d) => {
        expect(signDigest(k, d)).to.equal(new SigningKey(k).sign(d).serialized);
      }),
      { numRuns: 300 },
    );
  });

  it("test_recoverAddress_equalsEthersAndTheSigner_property", function () {
    fc.assert(
      fc.property(key, digest, (k, d) => {
        const sig = signDigest(k, d);
        const address = computeAddress(hexlify(publicKeyOf(k)));
        expect(recoverAddress(d, sig)).to.equal(address);
        expect(ethersRecover(d, sig)).to.equal(address);
        expect(new SigningKey(k).publicKey).to.equal(hexlify(publicKeyOf(k)));
      }),
      { numRuns: 300 },
    );
  });

  it("test_recoverAddress_otherDigest_givesAnotherAddress", function () {
    const w = Wallet.createRandom();
    const d = getBytes(w.address.padEnd(66, "0"));
    const sig = signDigest(w.privateKey, d);
    const other = d.slice();
    other[0] ^= 1;
    expect(recoverAddress(d, sig)).to.equal(w.address);
    expect(recoverAddress(other, sig)).to.not.equal(w.address);
  });

  it("test_recoverAddress_malformed_namesThePart", function () {
    const w = Wallet.createRandom();
    const d = new Uint8Array(32).fill(7);
    const sig = signDigest(w.privateKey, d);
    const s = BigInt(hexlify(getBytes(sig).subarray(32, 64)));
    const v = getBytes(sig)[64];
    // The same signature with the high s (n − s) and the other v (malleable): refused.
    const high = patch(patch(sig, 32, word(N - s)), 64, Uint8Array.of(v === 27 ? 28 : 27));
    expectRefused(() => recoverAddress(d, high), "s");
    expectRefused(() => recoverAddress(d, sig.slice(0, 130)), "signature"); // 64 bytes
    expectRefused(() => recoverAddress(d, sig + "00"), "signature"); // 66 bytes
    expectRefused(() => recoverAddress(d, "0xzz"), "signature");
    expectRefused(() => recoverAddress(d, patch(sig, 64, Uint8Array.of(v - 27))), "v"); // 0/1
    expectRefused(() => recoverAddress(d, patch(sig, 64, Uint8Array.of(29))), "v");
    expectRefused(() => recoverAddress(d, patch(sig, 0, word(0n))), "r");
    expectRefused(() => recoverAddress(d, patch(sig, 0, word(N))), "r");
    expectRefused(() => recoverAddress(d, patch(sig, 32, word(0n))), "s");
    expectRefused(() => recoverAddress(new Uint8Array(31), sig), "digest");
  });

  it("test_signDigest_badKeyOrDigest_namesThePart", function () {
    const d = new Uint8Array(32);
    expectRefused(() => signDigest(new Uint8Array(32), d), "privateKey"); // zero
    expectRefused(() => signDigest(word(N), d), "privateKey"); // ≥ n
    expectRefused(() => signDigest(new Uint8Array(31).fill(1), d), "privateKey");
    expectRefused(() => signDigest(word(1n), new Uint8Array(33)), "digest");
  });

  it("test_refusals_matchTheProcessRegistry", async function () {
    const { processes, process, domain, scheduler } = await loadFixture(deployRegistries);
    const a = makeAssignment(process, 5n);
    const sig = await signAssignment(scheduler, domain, a);
    const d = assignmentHash(domain, a);
    expect(recoverAddress(d, sig)).to.equal(scheduler.address);
    expect(await processes.assignmentSigner(a, sig)).to.equal(scheduler.address);
    const s = BigInt(hexlify(getBytes(sig).subarray(32, 64)));
    const v = getBytes(sig)[64];
    const bad = [
      patch(patch(sig, 32, word(N - s)), 64, Uint8Array.of(v === 27 ? 28 : 27)),
      patch(sig, 64, Uint8Array.of(v - 27)),
      sig.slice(0, 130),
      patch(sig, 32, word(0n)),
    ];
    for (const b of bad) {
      expect(() => recoverAddress(d, b), b).to.throw(SignatureError);
      // the registry's view answers the zero address for a signature it refuses
      expect(await processes.assignmentSigner(a, b), b).to.equal(ZERO_ADDRESS);
    }
  });
});
