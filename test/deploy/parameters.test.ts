import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";
import fc from "fast-check";

import {
  DAY,
  DeployParameterError,
  displayPath,
  loadCoreParameters,
  MAX_DISPUTE_TIME,
  MAX_UNBONDING_DELAY,
  parameterFileFor,
  readParameterFile,
  toIgnitionParameters,
  validateCoreParameters,
} from "../../deploy/parameters";

const ACCOUNT_0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const ACCOUNT_1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const ZERO = "0x0000000000000000000000000000000000000000";

/** A valid devnet section. */
const DEVNET = { challengeWindow: 300, maxGameDuration: 600, unbondingDelay: 900, slashRewardBps: 5000 };

/** The problems `fn` throws as a DeployParameterError (fails the test on anything else). */
function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(DeployParameterError);
    return (error as DeployParameterError).problems;
  }
  expect.fail("expected a DeployParameterError");
}

function validateDevnet(raw: Record<string, unknown>) {
  return validateCoreParameters(raw, { source: "test", moduleId: "Devnet", defaultAdmin: ACCOUNT_0 });
}

describe("deploy/parameters", function () {
  let tmp: string;

  before(function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "holo-params-"));
  });

  after(function () {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  function writeFile(name: string, contents: unknown): string {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, typeof contents === "string" ? contents : JSON.stringify(contents));
    return file;
  }

  describe("the committed parameter files", function () {
    for (const network of ["hardhat", "localhost"]) {
      it(`${network}.json holds the short devnet times`, function () {
        const values = loadCoreParameters(parameterFileFor(network), "Devnet");
        expect(values).to.deep.equal({
          admin: ACCOUNT_0,
          treasury: ACCOUNT_1,
          challengeWindow: 300n,
          maxGameDuration: 600n,
          unbondingDelay: 900n,
          slashRewardBps: 5000,
        });
      });
    }

    it("sepolia.json is refused until its placeholders are replaced, and only for them", function () {
      const problems = problemsOf(() => loadCoreParameters(parameterFileFor("sepolia"), "Holoproof"));
      expect(problems).to.have.lengthOf(2);
      expect(problems[0]).to.match(/^stakeToken "REPLACE-ME: .*" is not an address$/);
      expect(problems[1]).to.match(/^admin "REPLACE-ME: .*" is not an address$/);
    });

    it("sepolia.json has realistic times: a 7-day window, 14-day games, 21 days + 1 day of unbonding", function () {
      const values = loadCoreParameters(parameterFileFor("sepolia"), "Holoproof", {
        overrides: { stakeToken: TOKEN, admin: ACCOUNT_1 },
      });
      expect(values.challengeWindow).to.equal(7n * DAY);
      expect(values.maxGameDuration).to.equal(14n * DAY);
      expect(values.unbondingDelay).to.equal(22n * DAY);
      expect(values.unbondingDelay - (values.challengeWindow + values.maxGameDuration)).to.equal(DAY);
      expect(values.treasury).to.equal(ZERO);
    });
  });

  describe("validateCoreParameters", function () {
    it("names the file, the parameter and the floor when the unbonding delay is too short", function () {
      expect(() =>
        validateCoreParameters(
          { ...DEVNET, unbondingDelay: 100 },
          { source: "deploy/parameters/localhost.json", moduleId: "Devnet", defaultAdmin: ACCOUNT_0 },
        ),
      ).to.throw(
        DeployParameterError,
        /^deploy\/parameters\/localhost\.json: unbondingDelay 100 is below challengeWindow \+ maxGameDuration = 900$/,
      );
    });

    it("accepts an unbonding delay equal to the floor", function () {
      expect(validateDevnet({ ...DEVNET, unbondingDelay: 900 }).unbondingDelay).to.equal(900n);
    });

    it("defaults admin to the given deployer and treasury to zero (burn)", function () {
      const values = validateDevnet(DEVNET);
      expect(values.admin).to.equal(ACCOUNT_0);
      expect(values.treasury).to.equal(ZERO);
    });

    it("checksums addresses given in lower case", function () {
      expect(validateDevnet({ ...DEVNET, treasury: ACCOUNT_1.toLowerCase() }).treasury).to.equal(ACCOUNT_1);
    });

    it("refuses zero and over-ceiling dispute times", function () {
      expect(problemsOf(() => validateDevnet({ ...DEVNET, challengeWindow: 0 }))).to.deep.equal([
        "challengeWindow 0 is out of range: it must be 1 to 7776000 seconds (90 days)",
      ]);
      const tooLong = Number(MAX_DISPUTE_TIME) + 1;
      expect(
        problemsOf(() =>
          validateDevnet({ ...DEVNET, maxGameDuration: tooLong, unbondingDelay: 200 * 86_400 }),
        ),
      ).to.deep.equal([
        `maxGameDuration ${tooLong} is out of range: it must be 1 to 7776000 seconds (90 days)`,
      ]);
    });

    it("refuses an unbonding delay above 365 days", function () {
      const delay = MAX_UNBONDING_DELAY + 1n;
      expect(problemsOf(() => validateDevnet({ ...DEVNET, unbondingDelay: delay }))).to.deep.equal([
        `unbondingDelay ${delay} is above the maximum 31536000 seconds (365 days)`,
      ]);
    });

    it("refuses a slash reward of 100% or more", function () {
      expect(problemsOf(() => validateDevnet({ ...DEVNET, slashRewardBps: 10_000 }))).to.deep.equal([
        "slashRewardBps 10000 is not below 10000: some of every slash must be burned or go to the treasury",
      ]);
      expect(validateDevnet({ ...DEVNET, slashRewardBps: 9_999 }).slashRewardBps).to.equal(9_999);
      expect(validateDevnet({ ...DEVNET, slashRewardBps: 0 }).slashRewardBps).to.equal(0);
    });

    it("refuses non-integers, negative numbers and numeric strings", function () {
      expect(problemsOf(() => validateDevnet({ ...DEVNET, challengeWindow: 1.5 }))).to.deep.equal([
        "challengeWindow 1.5 is not a whole number of seconds",
      ]);
      expect(problemsOf(() => validateDevnet({ ...DEVNET, maxGameDuration: -1 }))).to.deep.equal([
        "maxGameDuration -1 is not a whole number of seconds",
      ]);
      expect(problemsOf(() => validateDevnet({ ...DEVNET, unbondingDelay: "900" }))).to.deep.equal([
        'unbondingDelay "900" is not a whole number of seconds',
      ]);
    });

    it("lists every missing parameter at once", function () {
      expect(
        problemsOf(() => validateCoreParameters({}, { source: "x", moduleId: "Holoproof" })),
      ).to.deep.equal([
        "stakeToken is missing (an address)",
        "admin is missing (an address)",
        "challengeWindow is missing (seconds)",
        "maxGameDuration is missing (seconds)",
        "unbondingDelay is missing (seconds)",
        "slashRewardBps is missing (basis points)",
      ]);
    });

    it("refuses bad addresses, with a hint for a bad checksum, and a zero admin or stake token", function () {
      const badChecksum = ACCOUNT_1.replace("C8", "c8");
      expect(
        problemsOf(() =>
          validateCoreParameters(
            { ...DEVNET, stakeToken: ZERO, admin: ZERO, treasury: badChecksum },
            { source: "x", moduleId: "Holoproof" },
          ),
        ),
      ).to.deep.equal([
        "stakeToken is the zero address",
        "admin is the zero address",
        `treasury "${badChecksum}" is not an address (bad checksum: check the letter case)`,
      ]);
    });

    it("refuses unknown parameters, and stakeToken in the Devnet section", function () {
      expect(problemsOf(() => validateDevnet({ ...DEVNET, challangeWindow: 300 }))).to.deep.equal([
        'unknown parameter "challangeWindow" for module Devnet (known: admin, treasury, challengeWindow, ' +
          "maxGameDuration, unbondingDelay, slashRewardBps)",
      ]);
      expect(problemsOf(() => validateDevnet({ ...DEVNET, stakeToken: TOKEN }))).to.deep.equal([
        "stakeToken is not a parameter of module Devnet (the devnet deploys its own token)",
      ]);
    });

    it("accepts a set of times and reward share exactly when it meets every rule", function () {
      // Times near 0, near the ceilings, or anywhere; delays near the floor or anywhere.
      const time = fc.oneof(
        fc.bigInt({ min: 0n, max: 1_000n }),
        fc.bigInt({ min: MAX_DISPUTE_TIME - 2n, max: MAX_DISPUTE_TIME + 2n }),
        fc.bigInt({ min: 0n, max: MAX_UNBONDING_DELAY }),
      );
      const delay = fc.oneof(
        fc.bigInt({ min: -3n, max: 3n }).map((offset) => ({ offset })),
        fc.bigInt({ min: 0n, max: MAX_UNBONDING_DELAY + DAY }).map((absolute) => ({ absolute })),
      );
      const bps = fc.oneof(fc.integer({ min: 9_990, max: 10_010 }), fc.integer({ min: 0, max: 65_535 }));
      fc.assert(
        fc.property(time, time, delay, bps, (window, game, d, reward) => {
          const unbonding = "offset" in d ? window + game + d.offset : d.absolute;
          const valid =
            window >= 1n &&
            window <= MAX_DISPUTE_TIME &&
            game >= 1n &&
            game <= MAX_DISPUTE_TIME &&
            unbonding >= window + game &&
            unbonding <= MAX_UNBONDING_DELAY &&
            reward < 10_000;
          const raw = {
            challengeWindow: window,
            maxGameDuration: game,
            unbondingDelay: unbonding,
            slashRewardBps: reward,
          };
          let accepted = true;
          try {
            validateDevnet(raw);
          } catch (error) {
            expect(error).to.be.instanceOf(DeployParameterError);
            accepted = false;
          }
          expect(accepted).to.equal(valid);
        }),
        { numRuns: 1_000 },
      );
    });
  });

  describe("parameter files", function () {
    it("prefixes problems with the file's path", function () {
      const file = writeFile("short.json", { Devnet: { ...DEVNET, unbondingDelay: 100 } });
      expect(() => loadCoreParameters(file, "Devnet")).to.throw(
        `${file}: unbondingDelay 100 is below challengeWindow + maxGameDuration = 900`,
      );
    });

    it("shows paths inside the repository relative to it", function () {
      expect(displayPath(parameterFileFor("localhost"))).to.equal(
        path.join("deploy", "parameters", "localhost.json"),
      );
    });

    it("reports a missing file, invalid JSON and a missing section", function () {
      const missing = path.join(tmp, "missing.json");
      expect(problemsOf(() => readParameterFile(missing))).to.deep.equal(["no such parameter file"]);
      expect(problemsOf(() => readParameterFile(writeFile("bad.json", "{ nope"))))
        .to.have.lengthOf(1)
        .and.satisfy((p: string[]) => p[0].startsWith("is not valid JSON"));
      expect(problemsOf(() => readParameterFile(writeFile("array.json", "[]")))).to.deep.equal([
        "must be a JSON object with one section per module id",
      ]);
      const other = writeFile("other.json", { Holoproof: DEVNET });
      expect(problemsOf(() => loadCoreParameters(other, "Devnet"))).to.deep.equal([
        'has no "Devnet" section (the parameters of module Devnet); found "Holoproof"',
      ]);
    });

    it("falls back to $global, and checks only the module's own section for unknown names", function () {
      const file = writeFile("global.json", {
        $global: { challengeWindow: 60, maxGameDuration: 60, somethingForAnotherModule: true },
        Devnet: { unbondingDelay: 120, slashRewardBps: 1 },
      });
      const values = loadCoreParameters(file, "Devnet", { defaultAdmin: ACCOUNT_0 });
      expect(values.challengeWindow).to.equal(60n);
      expect(values.unbondingDelay).to.equal(120n);
    });

    it("reads Ignition's bigint notation", function () {
      const file = writeFile("bigint.json", { Devnet: { ...DEVNET, unbondingDelay: "900n" } });
      expect(loadCoreParameters(file, "Devnet", { defaultAdmin: ACCOUNT_0 }).unbondingDelay).to.equal(900n);
    });

    it("lets overrides replace the file's values", function () {
      const values = loadCoreParameters(parameterFileFor("hardhat"), "Devnet", {
        overrides: { slashRewardBps: 10 },
      });
      expect(values.slashRewardBps).to.equal(10);
      expect(values.challengeWindow).to.equal(300n);
    });
  });

  describe("toIgnitionParameters", function () {
    it("passes integers as JSON numbers, as Ignition reads them from a file", function () {
      const values = validateDevnet(DEVNET);
      expect(toIgnitionParameters("Devnet", values)).to.deep.equal({
        Devnet: { admin: ACCOUNT_0, treasury: ZERO, ...DEVNET },
      });
    });
  });
});
