/** agents/common/process.ts against a real ProcessRegistry: a followed process must be the registered one. */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import { loadRegisteredProcess, ProcessMismatchError } from "../../../agents/common/process";
import { deployGameSystem } from "../../helpers/game";
import { processWasm } from "../../sdk/helpers";

async function system() {
  return deployGameSystem("counter");
}

async function expectMismatch(promise: Promise<unknown>, code: ProcessMismatchError["code"]) {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(ProcessMismatchError);
    expect((error as ProcessMismatchError).code).to.equal(code);
    return (error as ProcessMismatchError).message;
  }
  expect.fail(`expected ${code}`);
}

describe("agents/common/process", function () {
  it("loads the registered process: its module's limits, scheduler, domain and initial state", async function () {
    const sys = await loadFixture(system);
    const registry = await sys.processes.getAddress();
    const p = await loadRegisteredProcess(sys.processes, registry, 31337n, sys.process, sys.wasm);
    expect(p.id).to.equal(sys.process.toLowerCase());
    expect(p.memoryPages).to.equal(sys.P.memoryPages);
    expect(p.stepLimit).to.equal(sys.P.stepLimit);
    expect(p.scheduler).to.equal(sys.scheduler.address);
    expect(p.moduleRoot).to.equal(sys.moduleRoot.toLowerCase());
    expect(p.initialStateHash).to.equal(sys.initialStateHash.toLowerCase());
    expect(p.domain).to.deep.include({ chainId: 31337n, verifyingContract: registry });
  });

  it("refuses another module's wasm (ModuleMismatch) and a process spawned with another initial state (InitialStateMismatch)", async function () {
    const sys = await loadFixture(system);
    const registry = await sys.processes.getAddress();
    const message = await expectMismatch(
      loadRegisteredProcess(sys.processes, registry, 31337n, sys.process, processWasm("token")),
      "ModuleMismatch",
    );
    expect(message).to.contain(sys.moduleRoot.toLowerCase());

    const wrong = ethers.id("not the initial state");
    const arweaveId = ethers.id("another process item");
    await sys.processes.connect(sys.owner).spawn(sys.moduleId, sys.scheduler.address, wrong, arweaveId);
    const other = await sys.processes.computeProcessId(
      sys.moduleId,
      sys.scheduler.address,
      wrong,
      arweaveId,
      sys.owner.address,
    );
    const m2 = await expectMismatch(
      loadRegisteredProcess(sys.processes, registry, 31337n, other, sys.wasm),
      "InitialStateMismatch",
    );
    expect(m2).to.contain(wrong);
  });
});
