import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";

import { createProgram, main, version } from "../../cli/main";
import { bufferStreams, HOLO, REPO_ROOT, runNode } from "./helpers";

/** Runs `holo <args>` in-process. */
async function holo(...args: string[]) {
  const streams = bufferStreams();
  const code = await main(["node", "holo", ...args], streams);
  return { code, stdout: streams.out(), stderr: streams.err() };
}

describe("cli/main (holo)", function () {
  const packageVersion = (
    JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
      version: string;
    }
  ).version;

  it("prints help listing every command, and exits 0", async function () {
    const { code, stdout } = await holo("--help");
    expect(code).to.equal(0);
    expect(stdout).to.match(/^Usage: holo \[options\] \[command\]/);
    for (const command of createProgram().commands) {
      expect(stdout).to.match(new RegExp(`^  ${command.name()}\\b`, "m"));
    }
    expect(stdout).to.include("Exit codes: 0 success, 1 failure, 2 bad command line, 3 bad configuration.");
  });

  it("gives every command a description and a --help that exits 0", async function () {
    const commands = createProgram().commands;
    expect(commands.map((c) => c.name())).to.include("devnet");
    for (const command of commands) {
      expect(command.description(), command.name()).to.not.equal("");
      const { code, stdout } = await holo(command.name(), "--help");
      expect(code, command.name()).to.equal(0);
      expect(stdout).to.include(`Usage: holo ${command.name()}`);
      expect(stdout).to.include(command.description().slice(0, 40));
      expect(stdout).to.include("--json"); // global options are shown
    }
  });

  it("prints the package version", async function () {
    expect(version()).to.equal(packageVersion);
    const { code, stdout } = await holo("--version");
    expect(code).to.equal(0);
    expect(stdout).to.equal(`${packageVersion}\n`);
  });

  it("refuses an unknown command with exit code 2", async function () {
    const { code, stderr } = await holo("nope");
    expect(code).to.equal(2);
    expect(stderr).to.include("error: unknown command 'nope'");
  });

  it("refuses an unknown option with exit code 2", async function () {
    const { code, stderr } = await holo("devnet", "--bogus");
    expect(code).to.equal(2);
    expect(stderr).to.include("error: unknown option '--bogus'");
  });

  it("prints help on stderr and exits 2 without a command", async function () {
    const { code, stdout, stderr } = await holo();
    expect(code).to.equal(2);
    expect(stdout).to.equal("");
    expect(stderr).to.include("Usage: holo");
  });

  describe("bin/holo.js", function () {
    it("runs from any directory", async function () {
      const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "holo-cwd-"));
      try {
        const help = await runNode([HOLO, "--help"], { cwd });
        expect(help.code, help.stderr).to.equal(0);
        expect(help.stdout).to.include("devnet");
        const versionRun = await runNode([HOLO, "--version"], { cwd });
        expect(versionRun.code).to.equal(0);
        expect(versionRun.stdout).to.equal(`${packageVersion}\n`);
      } finally {
        fs.rmSync(cwd, { recursive: true, force: true });
      }
    });

    it("exits with the command's exit code, printing only `error: <message>`", async function () {
      const run = await runNode([HOLO, "devnet", "--port", "70000"], { cwd: os.tmpdir() });
      expect(run.code).to.equal(2);
      expect(run.stderr).to.match(/^error: option '--port <port>' argument '70000' is invalid\./);
      expect(run.stderr).to.not.include("    at "); // no stack trace
    });
  });
});
