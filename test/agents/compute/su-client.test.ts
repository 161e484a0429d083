/** The CU's SU client against a real scheduler unit (its HTTP API over a real ProcessRegistry). */
import path from "node:path";

import { expect } from "chai";
import { keccak256 } from "ethers";

import type { HttpServer } from "../../../agents/common/http";
import { SuLogSource } from "../../../agents/compute/domain/su-client";
import { createSchedulerApi } from "../../../agents/scheduler/api/routes";
import { assignmentDomain, assignmentHash, recoverAssignmentSigner } from "../../../sdk/ts/assignments";
import {
  arweaveWallet,
  chainSetup,
  makeScheduler,
  message,
  silent,
  tempDir,
  type ChainSetup,
} from "../scheduler/helpers";

describe("agents/compute: SuLogSource", function () {
  this.timeout(60_000);
  let chain: ChainSetup;
  let app: HttpServer;
  let su: Awaited<ReturnType<typeof makeScheduler>>;
  let url: string;

  before(async function () {
    chain = await chainSetup();
    await arweaveWallet();
    su = await makeScheduler(chain, path.join(tempDir("holo-cu-su-"), "su.sqlite"));
    su.scheduler.setBlockHeight(7);
    app = createSchedulerApi({
      scheduler: su.scheduler,
      logger: silent,
      metrics: su.metrics,
      bodyLimit: 72 * 1024,
    });
    url = await app.listen({ host: "127.0.0.1", port: 0 });
    for (let i = 0; i < 5; i++) await su.scheduler.accept(await message(chain.reg.process, `hello ${i}`));
  });

  after(async function () {
    await app.close();
    su.store.close();
  });

  it("reads the log page by page as canonical messages under verifiable, chained assignments", async function () {
    const source = new SuLogSource(url);
    const domain = assignmentDomain(chain.chainId, chain.registryAddress);
    const first = await source.read(chain.reg.process, 0n, 3);
    const rest = await source.read(chain.reg.process, 3n, 3);
    expect(first.map((e) => Number(e.assignment.slot))).to.deep.equal([0, 1, 2]);
    expect(rest.map((e) => Number(e.assignment.slot))).to.deep.equal([3, 4]);
    let prev = "0x" + "00".repeat(32);
    for (const e of [...first, ...rest]) {
      expect(keccak256(e.message)).to.equal(e.assignment.messageHash);
      expect(recoverAssignmentSigner(domain, e.assignment, e.signature)).to.equal(su.scheduler.address);
      expect(e.assignment.prevAssignmentHash).to.equal(prev);
      prev = assignmentHash(domain, e.assignment);
    }
    expect(await source.read(chain.reg.process, 5n, 3)).to.deep.equal([]);
  });

  it("reports an SU error status", async function () {
    const err = await new SuLogSource(url).read("0x" + "ab".repeat(32), 0n, 3).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(Error);
    expect((err as { status?: number }).status).to.be.within(400, 499);
  });
});
