import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import type { ERC20Mock, TokenBridge } from "../../typechain-types";
import { BridgeReleaseError, buildBridgeRelease, releaseKey } from "../../sdk/ts/bridge";
import { liarTrace } from "../../sdk/ts/dispute";
import { buildResultsTree } from "../../sdk/ts/results";
import {
  GameStatus,
  assignMessages,
  deployGameSystem,
  openGame,
  playGame,
  postClaim,
  traceOf,
} from "../helpers/game";

/** 10^18 token units per 10^12 process units. */
const SCALE = 10n ** 6n;
const QUANTITY = 5_000_000_000_000n; // 5 tokens with the process's 12 decimals

async function bridgeSystem() {
  const sys = await deployGameSystem("token");
  const alice = sys.rest[3];
  const erc20 = (await ethers.deployContract("ERC20Mock")) as unknown as ERC20Mock;
  const bridge = (await ethers.deployContract("TokenBridge", [
    await erc20.getAddress(),
    await sys.results.getAddress(),
    sys.process,
    SCALE,
  ])) as unknown as TokenBridge;
  const bridgeAddress = await bridge.getAddress();
  // Liquidity: a depositor escrows 100 tokens.
  const depositor = sys.rest[1];
  await erc20.mint(depositor.address, 100n * 10n ** 18n);
  await erc20.connect(depositor).approve(bridgeAddress, ethers.MaxUint256);
  await bridge.connect(depositor).deposit(100n * 10n ** 18n, ethers.zeroPadValue(depositor.address, 32));

  // Slot 0: the spawn message (its sender, the owner, receives the initial supply). Slot 1: the owner
  // transfers 5 to the bridge with X-Recipient = alice. Slot 2: an unrelated Balance query.
  const slots = await assignMessages(sys, 0n, [
    { from: sys.owner.address },
    {
      from: sys.owner.address,
      tags: {
        Action: "Transfer",
        Recipient: bridgeAddress,
        Quantity: QUANTITY.toString(),
        "X-Recipient": alice.address,
      },
    },
    { from: sys.owner.address, tags: { Action: "Balance" } },
    // Two transfers whose notices the bridge must refuse: a malformed X-Recipient, and none at all.
    {
      from: sys.owner.address,
      tags: {
        Action: "Transfer",
        Recipient: bridgeAddress,
        Quantity: "7",
        "X-Recipient": "0xnot-an-address",
      },
    },
    { from: sys.owner.address, tags: { Action: "Transfer", Recipient: bridgeAddress, Quantity: "7" } },
  ]);
  const trace = traceOf(sys, slots);
  const { commitment } = await postClaim(sys, sys.cu, trace);
  const resultHashes = [0, 1, 2, 3, 4].map((j) => trace.messageRecord(j).resultHash);
  return { sys, erc20, bridge, bridgeAddress, alice, trace, commitment, resultHashes };
}

async function counterBridgeSystem() {
  const sys = await deployGameSystem("counter");
  const erc20 = (await ethers.deployContract("ERC20Mock")) as unknown as ERC20Mock;
  const bridge = (await ethers.deployContract("TokenBridge", [
    await erc20.getAddress(),
    await sys.results.getAddress(),
    sys.process,
    SCALE,
  ])) as unknown as TokenBridge;
  // Slot 2 comes from the bridge's own process-side address: the counter's reply goes to the bridge, but
  // it is no Credit-Notice.
  const slots = await assignMessages(sys, 0n, [
    {},
    { tags: { Action: "Increment" } },
    { from: await bridge.getAddress(), tags: { Action: "Increment" } },
  ]);
  const trace = traceOf(sys, slots);
  const { commitment } = await postClaim(sys, sys.cu, trace);
  const resultHashes = [0, 1, 2].map((j) => trace.messageRecord(j).resultHash);
  return { sys, bridge, trace, commitment, resultHashes };
}

describe("TokenBridge (integrator example)", function () {
  this.timeout(300_000);

  it("releases the escrow to X-Recipient once the token process's result is finalized, once", async () => {
    const { sys, erc20, bridge, bridgeAddress, alice, trace, commitment, resultHashes } =
      await loadFixture(bridgeSystem);
    const args = buildBridgeRelease({
      bridge: bridgeAddress,
      commitment,
      resultHashes,
      slot: 1n,
      result: trace.messageRecord(1).result,
    });
    expect(args.recipient).to.equal(alice.address);
    expect(args.quantity).to.equal(QUANTITY);

    // Not yet final: the commitment is Pending.
    await expect(bridge.release(args.slot, args.items, args.item, args.proof))
      .to.be.revertedWithCustomError(bridge, "TokenBridgeResultNotFinalized")
      .withArgs(1n, resultHashes[1]);

    await time.increase(Number(sys.P.challengeWindow));
    await sys.results.finalize(commitment);
    await expect(bridge.connect(sys.rest[2]).release(args.slot, args.items, args.item, args.proof))
      .to.emit(bridge, "Released")
      .withArgs(1n, args.item, alice.address, QUANTITY * SCALE);
    expect(await erc20.balanceOf(alice.address)).to.equal(QUANTITY * SCALE);
    expect(await bridge.released(releaseKey(1n, args.item))).to.equal(true);

    // Replay: the same (slot, item) never pays twice.
    await expect(bridge.release(args.slot, args.items, args.item, args.proof))
      .to.be.revertedWithCustomError(bridge, "TokenBridgeAlreadyReleased")
      .withArgs(1n, args.item);
  });

  it("refuses a forged result, another slot's proof, the wrong item and a result of a rejected commitment", async () => {
    const { sys, bridge, bridgeAddress, trace, commitment, resultHashes } = await loadFixture(bridgeSystem);
    await time.increase(Number(sys.P.challengeWindow));
    await sys.results.finalize(commitment);
    const args = buildBridgeRelease({
      bridge: bridgeAddress,
      commitment,
      resultHashes,
      slot: 1n,
      result: trace.messageRecord(1).result,
    });

    // A forged quantity changes the result hash, which no finalized commitment holds.
    const forged = args.items.map((it, i) =>
      i === args.item
        ? {
            ...it,
            data: it.data.replace(
              ethers.hexlify(ethers.toUtf8Bytes("5000000000000")).slice(2),
              ethers.hexlify(ethers.toUtf8Bytes("9000000000000")).slice(2),
            ),
          }
        : it,
    );
    expect(forged[args.item].data).to.not.equal(args.items[args.item].data);
    await expect(bridge.release(1n, forged, args.item, args.proof)).to.be.revertedWithCustomError(
      bridge,
      "TokenBridgeResultNotFinalized",
    );
    // The right result presented as another slot's.
    await expect(bridge.release(2n, args.items, args.item, args.proof)).to.be.revertedWithCustomError(
      bridge,
      "TokenBridgeResultNotFinalized",
    );
    // The Debit-Notice to the sender is a message, but not to the bridge.
    const debit = args.items.findIndex((it, i) => it.kind === 1 && i !== args.item);
    expect(debit).to.be.greaterThanOrEqual(0);
    await expect(bridge.release(1n, args.items, debit, args.proof)).to.be.revertedWithCustomError(
      bridge,
      "TokenBridgeWrongTarget",
    );
    await expect(bridge.release(1n, args.items, args.items.length, args.proof))
      .to.be.revertedWithCustomError(bridge, "TokenBridgeItemIndex")
      .withArgs(args.items.length, args.items.length);
    // Slot 2's result (a Balance reply) has no notice for the bridge: the SDK says so before any transaction.
    expect(() =>
      buildBridgeRelease({
        bridge: bridgeAddress,
        commitment,
        resultHashes,
        slot: 2n,
        result: trace.messageRecord(2).result,
      }),
    ).to.throw(BridgeReleaseError, "no Credit-Notice to the bridge");
  });

  it("a lying compute unit's commitment is challenged and rejected, and can never release anything", async () => {
    const { sys, bridge, bridgeAddress, trace, resultHashes } = await loadFixture(bridgeSystem);
    const liar = liarTrace(trace, { fromPosition: (1n << 32n) + 10n, salt: "bridge" });
    const { commitment: bad } = await postClaim(sys, sys.rest[0], liar);
    const g = await openGame(sys, bad, sys.watcher);
    const r = await playGame(sys, g, { signer: sys.rest[0], trace: liar }, { signer: sys.watcher, trace });
    expect(r.status).to.equal(GameStatus.ChallengerWon);
    // The liar kept the true results root: the proof is well formed, but its commitment is Rejected.
    const args = buildBridgeRelease({
      bridge: bridgeAddress,
      commitment: bad,
      resultHashes,
      slot: 1n,
      result: trace.messageRecord(1).result,
    });
    await expect(bridge.release(args.slot, args.items, args.item, args.proof)).to.be.revertedWithCustomError(
      bridge,
      "TokenBridgeResultNotFinalized",
    );
  });

  it("refuses notices without a valid X-Recipient", async () => {
    const { sys, bridge, bridgeAddress, trace, commitment, resultHashes } = await loadFixture(bridgeSystem);
    await time.increase(Number(sys.P.challengeWindow));
    await sys.results.finalize(commitment);
    const tree = buildResultsTree(sys.process, 0n, resultHashes);
    const target = ethers.zeroPadValue(bridgeAddress, 32).toLowerCase();
    const argsOf = (slot: number) => {
      const result = trace.messageRecord(slot).result;
      if (!result.ok) throw new Error("an error result");
      const items = result.items.map((it) => ({ kind: it.kind, data: ethers.hexlify(it.bytes) }));
      const item = items.findIndex((it) => it.kind === 1 && it.data.slice(0, 66) === target);
      return { items, item, proof: { commitment, siblings: tree.proof(BigInt(slot)) } };
    };
    const bad = argsOf(3);
    await expect(bridge.release(3n, bad.items, bad.item, bad.proof)).to.be.revertedWithCustomError(
      bridge,
      "TokenBridgeBadRecipient",
    );
    const none = argsOf(4);
    await expect(bridge.release(4n, none.items, none.item, none.proof))
      .to.be.revertedWithCustomError(bridge, "TokenBridgeMissingTag")
      .withArgs("X-Recipient");
    expect(() =>
      buildBridgeRelease({
        bridge: bridgeAddress,
        commitment,
        resultHashes,
        slot: 3n,
        result: trace.messageRecord(3).result,
      }),
    ).to.throw(BridgeReleaseError, "is not an EVM address");
  });

  it("refuses a finalized item that is not a message (a bridge over the counter process, which prints)", async () => {
    const sys = await loadFixture(counterBridgeSystem);
    const { bridge, trace, commitment, resultHashes } = sys;
    await time.increase(Number(sys.sys.P.challengeWindow));
    await sys.sys.results.finalize(commitment);
    const result = trace.messageRecord(1).result;
    if (!result.ok) throw new Error("an error result");
    const items = result.items.map((it) => ({ kind: it.kind, data: ethers.hexlify(it.bytes) }));
    const output = items.findIndex((it) => it.kind === 0);
    expect(output).to.be.greaterThanOrEqual(0);
    const tree = buildResultsTree(sys.sys.process, 0n, resultHashes);
    const proof = { commitment, siblings: tree.proof(1n) };
    await expect(bridge.release(1n, items, output, proof))
      .to.be.revertedWithCustomError(bridge, "TokenBridgeNotAMessage")
      .withArgs(output, 0);
    // Its reply goes to the sender, not to the bridge.
    const reply = items.findIndex((it) => it.kind === 1);
    await expect(bridge.release(1n, items, reply, proof)).to.be.revertedWithCustomError(
      bridge,
      "TokenBridgeWrongTarget",
    );
  });

  it("refuses a message to the bridge that is not a Credit-Notice, and bad constructor arguments", async () => {
    const sys = await loadFixture(counterBridgeSystem);
    const { bridge, trace, commitment, resultHashes } = sys;
    await time.increase(Number(sys.sys.P.challengeWindow));
    await sys.sys.results.finalize(commitment);
    const result = trace.messageRecord(2).result;
    if (!result.ok) throw new Error("an error result");
    const items = result.items.map((it) => ({ kind: it.kind, data: ethers.hexlify(it.bytes) }));
    const reply = items.findIndex((it) => it.kind === 1);
    const proof = { commitment, siblings: buildResultsTree(sys.sys.process, 0n, resultHashes).proof(2n) };
    await expect(bridge.release(2n, items, reply, proof)).to.be.revertedWithCustomError(
      bridge,
      "TokenBridgeNotACreditNotice",
    );

    const args = [
      await sys.sys.token.getAddress(),
      await sys.sys.results.getAddress(),
      sys.sys.process,
      SCALE,
    ];
    const factory = await ethers.getContractFactory("TokenBridge");
    for (const [i, what] of [
      [0, "token"],
      [1, "resultRegistry"],
    ] as const) {
      const bad = [...args];
      bad[i] = ethers.ZeroAddress;
      await expect(factory.deploy(...(bad as [string, string, string, bigint])))
        .to.be.revertedWithCustomError(bridge, "TokenBridgeZeroAddress")
        .withArgs(what);
    }
    const [token, registry, process] = args as [string, string, string, bigint];
    await expect(factory.deploy(token, registry, ethers.ZeroHash, SCALE))
      .to.be.revertedWithCustomError(bridge, "TokenBridgeZeroAddress")
      .withArgs("process");
    await expect(factory.deploy(token, registry, process, 0)).to.be.revertedWithCustomError(
      bridge,
      "TokenBridgeZeroAmount",
    );
    await expect(bridge.deposit(0, ethers.ZeroHash)).to.be.revertedWithCustomError(
      bridge,
      "TokenBridgeZeroAmount",
    );
  });

  it("parses only canonical quantities and recipients, and builds nothing from bad input", async () => {
    const { bridgeAddress, trace, commitment, resultHashes } = await loadFixture(bridgeSystem);
    expect(() =>
      buildBridgeRelease({
        bridge: bridgeAddress,
        commitment,
        resultHashes: resultHashes.slice(1),
        slot: 1n,
        result: trace.messageRecord(1).result,
      }),
    ).to.throw(BridgeReleaseError, "4 result hashes for a commitment of 5 slots");
    expect(() =>
      buildBridgeRelease({
        bridge: bridgeAddress,
        commitment,
        resultHashes,
        slot: 7n,
        result: trace.messageRecord(1).result,
      }),
    ).to.throw(BridgeReleaseError, "slot 7 is not in the commitment's range [0, 4]");
    expect(() =>
      buildBridgeRelease({
        bridge: bridgeAddress,
        commitment,
        resultHashes,
        slot: 2n,
        result: trace.messageRecord(1).result,
      }),
    ).to.throw(BridgeReleaseError, "hashes to");
  });
});
