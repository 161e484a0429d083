import net from "node:net";

import { expect } from "chai";

import { CliError } from "../../../cli/lib/errors";
import { assertListenable, listenError } from "../../../cli/lib/net";
import { freePort } from "../helpers";

describe("cli/lib/net", function () {
  it("resolves for a free port, and leaves it free", async function () {
    const port = await freePort();
    await assertListenable("127.0.0.1", port);
    await assertListenable("127.0.0.1", port);
  });

  it("names the port when it is in use", async function () {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const { port } = holder.address() as net.AddressInfo;
    try {
      const error = await assertListenable("127.0.0.1", port).then(
        () => expect.fail("expected a rejection"),
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(CliError);
      expect((error as CliError).code).to.equal("E_PORT_IN_USE");
      expect((error as CliError).message).to.equal(
        `port ${port} on 127.0.0.1 is already in use (another devnet or node?); stop it or choose another port with --port`,
      );
    } finally {
      holder.close();
    }
  });

  it("names the host when it is not an address of this machine", function () {
    const error = listenError(Object.assign(new Error("x"), { code: "EADDRNOTAVAIL" }), "10.9.8.7", 8545);
    expect(error.code).to.equal("E_HOST_UNAVAILABLE");
    expect(error.message).to.equal("cannot listen on host 10.9.8.7: it is not an address of this machine");
  });
});
