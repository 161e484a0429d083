import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { loadWasm } from "../../machine/wasm";
import { HOST_IMPORTS } from "../../machine/process";
import { HOST_ABI } from "../../machine/spec";
import { BUILD_DIR, buildProcesses, processNames } from "../../scripts/build-processes";
import { probeWasm } from "../sdk/helpers";

describe("process builds", () => {
  it("finds the three example processes", () => {
    expect(processNames()).to.include.members(["bench", "counter", "token"]);
  });

  it("every built module passes loadWasm (subset, host ABI only) and exports handle", () => {
    const built = buildProcesses();
    const modules: [string, Uint8Array][] = built.map((b) => [
      b.name,
      new Uint8Array(fs.readFileSync(path.join(BUILD_DIR, `${b.name}.wasm`))),
    ]);
    modules.push(["sdk probe", probeWasm()]);
    const hostNames = new Set(HOST_ABI.functions.map((f) => f.name));
    for (const [name, bytes] of modules) {
      const m = loadWasm(bytes, { allowedImports: HOST_IMPORTS });
      for (const imp of m.imports) {
        expect(imp.module, name).to.equal("holo");
        expect(hostNames.has(imp.name), `${name}: ${imp.name}`).to.equal(true);
      }
      const handle = m.exports.find((e) => e.name === HOST_ABI.entryExport && e.kind === "func");
      expect(handle, name).to.not.equal(undefined);
      const type = m.types[m.funcTypeIndices[handle!.index]];
      expect(type.params.length + type.results.length, name).to.equal(0);
    }
    const manifest = JSON.parse(fs.readFileSync(path.join(BUILD_DIR, "manifest.json"), "utf8"));
    for (const b of built) expect(manifest[b.name].moduleRoot).to.match(/^0x[0-9a-f]{64}$/);
  });
});
