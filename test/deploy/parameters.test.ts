import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";
import fc from "fast-check";

import {
  CORE_PARAMETER_NAMES,
  DAY,
  DeployParameterError,
  displayPath,
  gameMovesPerSide,
  loadCoreParameters,
  MAX_DISPUTE_TIME,
  MAX_UINT64,
  MAX_UINT96,
  MAX_STEP_LIMIT,
  MAX_UNBONDING_DELAY,
  maxGameDurationOf,
  maxStepLimitFor,
  parameterFileFor,
  readParameterFile,
  REEXEC_STEPS_PER_SECOND,
  toIgnitionParameters,
  validateCoreParameters,
} from "../../deploy/parameters";
import { DEFAULT_REEXEC_STEPS_PER_SECOND, maxReexecutableStepLimit } from "../../agents/common/process";

const ACCOUNT_0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const ACCOUNT_1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const ZERO = "0x0000000000000000000000000000000000000000";

const ONE = 10n ** 18n;
const HOUR = 3_600n;

/** The devnet's stakes and game (deploy/parameters/hardhat.json). */
const DEVNET_GAME = {
  minSchedulerStake: 100n * ONE,
  maxStepLimit: 25_000_000,
  commitmentStake: 10n * ONE,
  gameDegree: 16,
  gameClockTime: 120,
  gameClockExtension: 5,
  gameStartGrace: 10,
  gameChallengeBond: 10n * ONE,
};

/** A valid devnet section. */
const DEVNET = {
  challengeWindow: 300,
  maxGameDuration: 600,
  unbondingDelay: 900,
  slashRewardBps: 5000,
  ...DEVNET_GAME,
};

/** `value` as a parameter file holds it: Ignition's "123n" notation for bigints. */
function fileJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? `${v}n` : v));
}

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
    fs.writeFileSync(file, typeof contents === "string" ? contents : fileJson(contents));
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
          minSchedulerStake: 100n * ONE,
          maxStepLimit: 25_000_000n,
          commitmentStake: 10n * ONE,
          gameDegree: 16,
          gameClockTime: 120n,
          gameClockExtension: 5n,
          gameStartGrace: 10n,
          gameChallengeBond: 10n * ONE,
        });
        // 2·120 + 2·17·5 + 10 = 420 s: a devnet game fits in its 600 s.
        expect(maxGameDurationOf(values)).to.equal(420n);
      });
    }

    it("sepolia.json is refused until its placeholders are replaced, and only for them", function () {
      const problems = problemsOf(() => loadCoreParameters(parameterFileFor("sepolia"), "Holoproof"));
      expect(problems).to.have.lengthOf(5);
      expect(problems[0]).to.match(/^stakeToken "REPLACE-ME: .*" is not an address$/);
      expect(problems[1]).to.match(/^admin "REPLACE-ME: .*" is not an address$/);
      expect(problems[2]).to.match(
        /^minSchedulerStake "REPLACE-ME: .*" is not a whole number of stake-token wei$/,
      );
      expect(problems[3]).to.match(
        /^commitmentStake "REPLACE-ME: .*" is not a whole number of stake-token wei$/,
      );
      expect(problems[4]).to.match(
        /^gameChallengeBond "REPLACE-ME: .*" is not a whole number of stake-token wei$/,
      );
    });

    it("sepolia.json's amount placeholders each suggest a valid amount", function () {
      const section = readParameterFile(parameterFileFor("sepolia")).Holoproof;
      const suggested: Record<string, bigint> = {};
      for (const name of ["minSchedulerStake", "commitmentStake", "gameChallengeBond"]) {
        const match = /e\.g\. "(\d+)n" \((\d+) tokens of 18 decimals\)/.exec(String(section[name]));
        expect(match, name).to.not.equal(null);
        suggested[name] = BigInt(match![1]);
        expect(suggested[name], name).to.equal(BigInt(match![2]) * ONE); // the note's two forms agree
      }
      const values = loadCoreParameters(parameterFileFor("sepolia"), "Holoproof", {
        overrides: { stakeToken: TOKEN, admin: ACCOUNT_1, ...suggested },
      });
      expect(values.minSchedulerStake).to.equal(1_000n * ONE);
      expect(values.commitmentStake).to.equal(100n * ONE);
      expect(values.gameChallengeBond).to.equal(100n * ONE);
    });

    it("sepolia.json's game: degree 16, 3.5-day clocks, 3-hour extensions, 1-day grace, within 14 days", function () {
      const values = loadCoreParameters(parameterFileFor("sepolia"), "Holoproof", {
        overrides: {
          stakeToken: TOKEN,
          admin: ACCOUNT_1,
          minSchedulerStake: 1n,
          commitmentStake: 1n,
          gameChallengeBond: 1n,
        },
      });
      expect(values.gameDegree).to.equal(16);
      expect(values.gameClockTime).to.equal((7n * DAY) / 2n);
      expect(values.gameClockExtension).to.equal(3n * HOUR);
      expect(values.gameStartGrace).to.equal(DAY);
      // 2·302400 + 2·17·10800 + 86400 = 1,058,400 s (12.25 days) ≤ 1,209,600 s (14 days).
      expect(maxGameDurationOf(values)).to.equal(1_058_400n);
      expect(maxGameDurationOf(values) <= values.maxGameDuration).to.equal(true);
    });

    it("sepolia.json has realistic times: a 7-day window, 14-day games, 21 days + 1 day of unbonding", function () {
      const values = loadCoreParameters(parameterFileFor("sepolia"), "Holoproof", {
        overrides: {
          stakeToken: TOKEN,
          admin: ACCOUNT_1,
          minSchedulerStake: 1n,
          commitmentStake: 1n,
          gameChallengeBond: 1n,
        },
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
        "minSchedulerStake is missing (stake-token wei)",
        "commitmentStake is missing (stake-token wei)",
        "maxStepLimit is missing (machine steps)",
        "gameDegree is missing (a power of two from 2 to 256)",
        "gameClockTime is missing (seconds)",
        "gameClockExtension is missing (seconds)",
        "gameStartGrace is missing (seconds)",
        "gameChallengeBond is missing (stake-token wei)",
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
          "maxGameDuration, unbondingDelay, slashRewardBps, minSchedulerStake, maxStepLimit, commitmentStake, gameDegree, " +
          "gameClockTime, gameClockExtension, gameStartGrace, gameChallengeBond)",
      ]);
      expect(CORE_PARAMETER_NAMES.Holoproof).to.deep.equal(["stakeToken", ...CORE_PARAMETER_NAMES.Devnet]);
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
            reward < 10_000 &&
            game >= 420n; // the devnet's game (2·120 + 2·17·5 + 10) must fit in maxGameDuration
          const raw = {
            ...DEVNET_GAME,
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

  describe("validateCoreParameters: the registries' stakes and the dispute game", function () {
    it("refuses a minSchedulerStake of 0 (a scheduler without stake could equivocate for free)", function () {
      expect(problemsOf(() => validateDevnet({ ...DEVNET, minSchedulerStake: 0 }))).to.deep.equal([
        "minSchedulerStake 0 is out of range: it must be at least 1 (a scheduler without stake could equivocate for free)",
      ]);
      expect(validateDevnet({ ...DEVNET, minSchedulerStake: 1 }).minSchedulerStake).to.equal(1n);
    });

    it("refuses a minSchedulerStake above 2^256 - 1", function () {
      expect(problemsOf(() => validateDevnet({ ...DEVNET, minSchedulerStake: 2n ** 256n }))).to.deep.equal([
        `minSchedulerStake ${2n ** 256n} is above the maximum 2^256 - 1 (uint256)`,
      ]);
      expect(validateDevnet({ ...DEVNET, minSchedulerStake: 2n ** 256n - 1n }).minSchedulerStake).to.equal(
        2n ** 256n - 1n,
      );
    });

    for (const name of ["commitmentStake", "gameChallengeBond"] as const) {
      it(`refuses a ${name} of 0 or above 2^96 - 1 (uint96)`, function () {
        for (const value of [0n, MAX_UINT96 + 1n]) {
          expect(problemsOf(() => validateDevnet({ ...DEVNET, [name]: value }))).to.deep.equal([
            `${name} ${value} is out of range: it must be 1 to 79228162514264337593543950335 stake-token wei (2^96 - 1)`,
          ]);
        }
        expect(validateDevnet({ ...DEVNET, [name]: 1 })[name]).to.equal(1n);
        expect(validateDevnet({ ...DEVNET, [name]: MAX_UINT96 })[name]).to.equal(MAX_UINT96);
      });
    }

    it("refuses amounts that are not whole numbers, with a hint for JSON numbers beyond 2^53", function () {
      expect(problemsOf(() => validateDevnet({ ...DEVNET, commitmentStake: 1.5 }))).to.deep.equal([
        "commitmentStake 1.5 is not a whole number of stake-token wei",
      ]);
      expect(problemsOf(() => validateDevnet({ ...DEVNET, gameChallengeBond: "10" }))).to.deep.equal([
        'gameChallengeBond "10" is not a whole number of stake-token wei',
      ]);
      expect(problemsOf(() => validateDevnet({ ...DEVNET, minSchedulerStake: 1e20 }))).to.deep.equal([
        "minSchedulerStake 100000000000000000000 is not a whole number of stake-token wei (beyond 2^53 a JSON " +
          'number loses digits: write the exact value as a string ending in n, e.g. "100000000000000000000n")',
      ]);
    });

    it("refuses a gameDegree that is not a power of two from 2 to 256", function () {
      for (const degree of [0, 1, 3, 12, 100, 257, 512]) {
        expect(
          problemsOf(() => validateDevnet({ ...DEVNET, gameDegree: degree })),
          `${degree}`,
        ).to.deep.equal([`gameDegree ${degree} is not a power of two from 2 to 256`]);
      }
      expect(problemsOf(() => validateDevnet({ ...DEVNET, gameDegree: 2.5 }))).to.deep.equal([
        "gameDegree 2.5 is not a whole number",
      ]);
      // Degree 2 makes 65 moves per side: short extensions keep the devnet game within 600 s (and a
      // 1 s extension re-executes 5·10^6 steps).
      expect(
        validateDevnet({ ...DEVNET, gameDegree: 2, gameClockExtension: 1, maxStepLimit: 5_000_000 })
          .gameDegree,
      ).to.equal(2);
      expect(validateDevnet({ ...DEVNET, gameDegree: 256 }).gameDegree).to.equal(256);
    });

    it("refuses a gameClockTime or gameStartGrace of 0 or above 2^64 - 1 (uint64)", function () {
      for (const name of ["gameClockTime", "gameStartGrace"]) {
        for (const value of [0n, MAX_UINT64 + 1n]) {
          expect(
            problemsOf(() => validateDevnet({ ...DEVNET, [name]: value })),
            `${name} ${value}`,
          ).to.deep.equal([
            `${name} ${value} is out of range: it must be 1 to 18446744073709551615 seconds (2^64 - 1)`,
          ]);
        }
      }
    });

    it("refuses a maxStepLimit of 0 or above 2^32 - 1", function () {
      for (const value of [0, 2 ** 32]) {
        expect(problemsOf(() => validateDevnet({ ...DEVNET, maxStepLimit: value }))).to.deep.equal([
          `maxStepLimit ${value} is out of range: it must be 1 to 4294967295 steps (2^32 - 1)`,
        ]);
      }
      expect(problemsOf(() => validateDevnet({ ...DEVNET, maxStepLimit: "many" }))).to.deep.equal([
        'maxStepLimit "many" is not a whole number of machine steps',
      ]);
      expect(validateDevnet({ ...DEVNET, maxStepLimit: 1 }).maxStepLimit).to.equal(1n);
    });

    it("refuses a maxStepLimit the game cannot re-execute in half of gameClockExtension (row 29)", function () {
      // The devnet's 5 s extension re-executes ⌊5 · 10^7 / 2⌋ = 2.5·10^7 steps: exactly its maxStepLimit.
      expect(maxStepLimitFor(5)).to.equal(25_000_000n);
      expect(validateDevnet(DEVNET).maxStepLimit).to.equal(maxStepLimitFor(DEVNET.gameClockExtension));
      expect(problemsOf(() => validateDevnet({ ...DEVNET, maxStepLimit: 25_000_001 }))).to.deep.equal([
        "maxStepLimit 25000001 is above what the game can re-execute in half of gameClockExtension 5 s at " +
          "10000000 steps/s: at most 25000000 (or a gameClockExtension of at least 6 s)",
      ]);
      expect(problemsOf(() => validateDevnet({ ...DEVNET, gameClockExtension: 4 }))).to.deep.equal([
        "maxStepLimit 25000000 is above what the game can re-execute in half of gameClockExtension 4 s at " +
          "10000000 steps/s: at most 20000000 (or a gameClockExtension of at least 5 s)",
      ]);
      // 2^32 - 1 steps need 859 s.
      const roomy = { ...DEVNET, gameClockTime: 1_000, maxGameDuration: 40_000, unbondingDelay: 40_300 };
      const full = { ...roomy, maxStepLimit: Number(MAX_STEP_LIMIT) };
      expect(validateDevnet({ ...full, gameClockExtension: 859 }).maxStepLimit).to.equal(MAX_STEP_LIMIT);
      expect(problemsOf(() => validateDevnet({ ...full, gameClockExtension: 858 }))).to.have.lengthOf(1);
    });

    it("REEXEC_STEPS_PER_SECOND is the agents' DEFAULT_REEXEC_STEPS_PER_SECOND and the settings' default", function () {
      expect(REEXEC_STEPS_PER_SECOND).to.equal(BigInt(DEFAULT_REEXEC_STEPS_PER_SECOND));
      expect(REEXEC_STEPS_PER_SECOND).to.equal(10_000_000n);
      expect(maxStepLimitFor(300)).to.equal(maxReexecutableStepLimit(300, DEFAULT_REEXEC_STEPS_PER_SECOND));
    });

    it("refuses a gameClockExtension of 0 or longer than gameClockTime", function () {
      for (const value of [0, 121]) {
        expect(problemsOf(() => validateDevnet({ ...DEVNET, gameClockExtension: value }))).to.deep.equal([
          `gameClockExtension ${value} is out of range: it must be 1 to gameClockTime = 120 seconds`,
        ]);
      }
      const long = { ...DEVNET, maxGameDuration: 10_000, unbondingDelay: 10_300 };
      expect(validateDevnet({ ...long, gameClockExtension: 120 }).gameClockExtension).to.equal(120n);
      // Without a valid gameClockTime to compare with, the ceiling is the type's.
      expect(
        problemsOf(() => validateDevnet({ ...DEVNET, gameClockTime: 0, gameClockExtension: 0 })),
      ).to.deep.equal([
        "gameClockTime 0 is out of range: it must be 1 to 18446744073709551615 seconds (2^64 - 1)",
        "gameClockExtension 0 is out of range: it must be 1 to 18446744073709551615 (2^64 - 1) seconds",
      ]);
    });

    it("refuses a game that can outlast maxGameDuration, naming every parameter of the bound", function () {
      // 2·120 + 2·17·5 + 10 = 420 s.
      expect(
        validateDevnet({ ...DEVNET, maxGameDuration: 420, unbondingDelay: 720 }).maxGameDuration,
      ).to.equal(420n);
      expect(
        problemsOf(() => validateDevnet({ ...DEVNET, maxGameDuration: 419, unbondingDelay: 720 })),
      ).to.deep.equal([
        "the longest dispute game, 2·gameClockTime + 2·17·gameClockExtension + gameStartGrace = " +
          "2·120 + 2·17·5 + 10 = 420 seconds, exceeds maxGameDuration 419 " +
          "(17 = ⌈64 / log2(gameDegree 16)⌉ + 1 moves per side)",
      ]);
      // Degree 4: 33 moves per side, 2·120 + 2·33·5 + 10 = 580 ≤ 600; one more second of grace is too much.
      expect(validateDevnet({ ...DEVNET, gameDegree: 4, gameStartGrace: 30 }).gameStartGrace).to.equal(30n);
      expect(
        problemsOf(() => validateDevnet({ ...DEVNET, gameDegree: 4, gameStartGrace: 31 })),
      ).to.deep.equal([
        "the longest dispute game, 2·gameClockTime + 2·33·gameClockExtension + gameStartGrace = " +
          "2·120 + 2·33·5 + 31 = 601 seconds, exceeds maxGameDuration 600 " +
          "(33 = ⌈64 / log2(gameDegree 4)⌉ + 1 moves per side)",
      ]);
    });

    it("does not check the game's length against an invalid maxGameDuration or game parameter", function () {
      expect(problemsOf(() => validateDevnet({ ...DEVNET, maxGameDuration: 0 }))).to.deep.equal([
        "maxGameDuration 0 is out of range: it must be 1 to 7776000 seconds (90 days)",
      ]);
      expect(problemsOf(() => validateDevnet({ ...DEVNET, gameDegree: 3 }))).to.deep.equal([
        "gameDegree 3 is not a power of two from 2 to 256",
      ]);
    });

    it("counts the moves per side as the DisputeGame does: ⌈64 / log2(degree)⌉ + 1", function () {
      const table: [number, bigint][] = [
        [2, 65n],
        [4, 33n],
        [8, 23n],
        [16, 17n],
        [32, 14n],
        [64, 12n],
        [128, 11n],
        [256, 9n],
      ];
      for (const [degree, moves] of table) expect(gameMovesPerSide(degree), `${degree}`).to.equal(moves);
      expect(() => gameMovesPerSide(1)).to.throw(RangeError);
    });

    it("accepts a dispute game exactly when it meets every rule", function () {
      const degree = fc.oneof(
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 1, max: 8 }).map((b) => 2 ** b),
      );
      const seconds = fc.oneof(fc.bigInt({ min: 0n, max: 5n }), fc.bigInt({ min: 0n, max: 700n }));
      const maxGame = fc.bigInt({ min: 1n, max: 2_000n });
      // The step limit: tiny, near a small extension's bound (5·10^6 steps per second of extension), or anywhere.
      const steps = fc.oneof(
        fc.constant(1n),
        fc.bigInt({ min: 1n, max: 5n }).map((s) => s * 5_000_000n),
        fc.bigInt({ min: 1n, max: MAX_STEP_LIMIT }),
      );
      fc.assert(
        fc.property(
          degree,
          seconds,
          seconds,
          seconds,
          maxGame,
          steps,
          (d, clock, extension, grace, game, limit) => {
            const log2 = Math.log2(d);
            const powerOfTwo = Number.isInteger(log2) && d >= 2 && d <= 256;
            const moves = powerOfTwo ? BigInt(Math.ceil(64 / log2) + 1) : 0n;
            const valid =
              powerOfTwo &&
              clock >= 1n &&
              extension >= 1n &&
              extension <= clock &&
              grace >= 1n &&
              2n * clock + 2n * moves * extension + grace <= game &&
              2n * limit <= extension * REEXEC_STEPS_PER_SECOND;
            const raw = {
              ...DEVNET,
              maxStepLimit: limit,
              maxGameDuration: game,
              unbondingDelay: 300n + game,
              gameDegree: d,
              gameClockTime: clock,
              gameClockExtension: extension,
              gameStartGrace: grace,
            };
            let accepted = true;
            try {
              validateDevnet(raw);
            } catch (error) {
              expect(error).to.be.instanceOf(DeployParameterError);
              accepted = false;
            }
            expect(accepted, fileJson(raw)).to.equal(valid);
          },
        ),
        { numRuns: 2_000 },
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
        $global: {
          challengeWindow: 60,
          maxGameDuration: 600,
          gameDegree: 4,
          somethingForAnotherModule: true,
        },
        Devnet: { ...DEVNET_GAME, unbondingDelay: 660, slashRewardBps: 1, gameDegree: 16 },
      });
      const values = loadCoreParameters(file, "Devnet", { defaultAdmin: ACCOUNT_0 });
      expect(values.challengeWindow).to.equal(60n);
      expect(values.unbondingDelay).to.equal(660n);
      expect(values.gameDegree).to.equal(16); // the module's own section wins
    });

    it("reads Ignition's bigint notation", function () {
      const file = writeFile("bigint.json", { Devnet: { ...DEVNET, unbondingDelay: "900n" } });
      expect(loadCoreParameters(file, "Devnet", { defaultAdmin: ACCOUNT_0 }).unbondingDelay).to.equal(900n);
      const amounts = writeFile(
        "amounts.json",
        '{"Devnet": {"challengeWindow": 300, "maxGameDuration": 600, "unbondingDelay": 900, "slashRewardBps": 1, ' +
          '"minSchedulerStake": "123456789012345678901n", "maxStepLimit": 25000000, "commitmentStake": "10000000000000000000n", ' +
          '"gameDegree": 16, "gameClockTime": 120, "gameClockExtension": 5, "gameStartGrace": 10, ' +
          '"gameChallengeBond": "79228162514264337593543950335n"}}',
      );
      const values = loadCoreParameters(amounts, "Devnet", { defaultAdmin: ACCOUNT_0 });
      expect(values.minSchedulerStake).to.equal(123_456_789_012_345_678_901n);
      expect(values.commitmentStake).to.equal(10n * ONE);
      expect(values.gameChallengeBond).to.equal(MAX_UINT96);
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
    it("passes integers as JSON numbers when they fit, bigints beyond 2^53, as Ignition reads a file", function () {
      const values = validateDevnet(DEVNET);
      const section = toIgnitionParameters("Devnet", values).Devnet;
      expect(section).to.deep.equal({ admin: ACCOUNT_0, treasury: ZERO, ...DEVNET });
      expect(typeof section.gameClockTime).to.equal("number");
      expect(typeof section.gameChallengeBond).to.equal("bigint");
      const small = toIgnitionParameters("Devnet", { ...values, commitmentStake: 2n ** 53n - 1n }).Devnet;
      expect(small.commitmentStake).to.equal(Number.MAX_SAFE_INTEGER);
    });
  });
});
