import { expect } from "chai";
import { JsonRpcProvider } from "ethers";
import hre from "hardhat";

import { CliError } from "../../../cli/lib/errors";
import { startJsonRpcServer } from "../../../cli/lib/jsonrpc";
import { assertListenable } from "../../../cli/lib/net";

describe("cli/lib/jsonrpc", function () {
  it("serves the in-process network over HTTP, and frees the port on close", async function () {
    const server = await startJsonRpcServer(hre, "127.0.0.1", 0);
    const provider = new JsonRpcProvider(`http://127.0.0.1:${server.port}`, undefined, {
      staticNetwork: true,
    });
    try {
      expect(await provider.send("eth_chainId", [])).to.equal("0x7a69");
      const [first] = await hre.ethers.getSigners();
      expect(await provider.getBalance(first.address)).to.equal(
        await hre.ethers.provider.getBalance(first.address),
      );
    } finally {
      provider.destroy();
      await server.close();
    }
    await assertListenable("127.0.0.1", server.port);
  });

  it("rejects with the port named when it is taken (instead of never settling)", async function () {
    const holder = await startJsonRpcServer(hre, "127.0.0.1", 0);
    try {
      const error = await startJsonRpcServer(hre, "127.0.0.1", holder.port).then(
        () => expect.fail("expected a rejection"),
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(CliError);
      expect((error as CliError).code).to.equal("E_PORT_IN_USE");
      expect((error as CliError).message).to.include(`port ${holder.port} on 127.0.0.1 is already in use`);
    } finally {
      await holder.close();
    }
  });
});
