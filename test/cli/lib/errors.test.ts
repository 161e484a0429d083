import { expect } from "chai";

import { CliError, ExitCode, formatError, toCliError, UsageError } from "../../../cli/lib/errors";
import { Output } from "../../../cli/lib/output";
import { DeployError } from "../../../deploy/ignition";
import { DeployParameterError } from "../../../deploy/parameters";
import { bufferStreams } from "../helpers";

describe("cli/lib/errors", function () {
  it("maps deployment errors to their own codes and exit codes", function () {
    const parameters = toCliError(
      new DeployParameterError("deploy/parameters/x.json", ["slashRewardBps 10000 is not below 10000"]),
    );
    expect(parameters.code).to.equal("E_PARAMETERS");
    expect(parameters.exitCode).to.equal(ExitCode.Config);
    expect(parameters.message).to.equal("deploy/parameters/x.json: slashRewardBps 10000 is not below 10000");

    const deploy = toCliError(new DeployError("module Devnet was not deployed"));
    expect(deploy.code).to.equal("E_DEPLOY");
    expect(deploy.exitCode).to.equal(ExitCode.Failure);
  });

  it("keeps CLI errors as they are, and turns anything else into an internal error", function () {
    const usage = new UsageError("--accounts 25 is too many");
    expect(toCliError(usage)).to.equal(usage);
    expect(usage.exitCode).to.equal(ExitCode.Usage);
    const internal = toCliError(new TypeError("x is undefined"));
    expect(internal).to.be.instanceOf(CliError);
    expect(internal.code).to.equal("E_INTERNAL");
    expect(internal.message).to.equal("x is undefined");
    expect(toCliError("a string").message).to.equal("a string");
  });

  it("prints one line without --verbose, and the stacks of the error and its causes with it", function () {
    const cause = new Error("connect ECONNREFUSED");
    const error = new CliError("cannot reach the node", { cause });
    expect(formatError(error, false)).to.equal("error: cannot reach the node");
    const verbose = formatError(error, true);
    expect(verbose.split("\n")[0]).to.equal("error: cannot reach the node");
    expect(verbose).to.include("CliError: cannot reach the node\n    at ");
    expect(verbose).to.include("caused by:\nError: connect ECONNREFUSED\n    at ");
  });

  it("reports an error on stderr, and with --json also as an event on stdout", function () {
    const streams = bufferStreams();
    new Output({ json: true }, streams).error(new CliError("port 8545 is in use", { code: "E_PORT_IN_USE" }));
    expect(streams.err()).to.equal("error: port 8545 is in use\n");
    expect(JSON.parse(streams.out())).to.deep.equal({
      event: "error",
      error: { code: "E_PORT_IN_USE", message: "port 8545 is in use" },
    });
  });
});
