import { expect } from "chai";
import { InvalidArgumentError } from "commander";
import fc from "fast-check";

import { integerIn, parseHost, parsePort } from "../../../cli/lib/options";

describe("cli/lib/options", function () {
  describe("parsePort", function () {
    it("accepts 0 to 65535", function () {
      fc.assert(fc.property(fc.integer({ min: 0, max: 65_535 }), (port) => parsePort(String(port)) === port));
    });

    it("refuses ports above 65535, naming the port", function () {
      expect(() => parsePort("65536")).to.throw(
        InvalidArgumentError,
        "port 65536 is out of range: 1 to 65535",
      );
    });

    it("refuses anything that is not a whole number", function () {
      for (const value of ["", "-1", "80a", "8545.5", "0x50", " 80"]) {
        expect(() => parsePort(value), value).to.throw(InvalidArgumentError, "a port is a whole number");
      }
    });
  });

  describe("parseHost", function () {
    it("accepts IPv4, IPv6 (with or without brackets) and host names", function () {
      expect(parseHost("127.0.0.1")).to.equal("127.0.0.1");
      expect(parseHost("0.0.0.0")).to.equal("0.0.0.0");
      expect(parseHost("::1")).to.equal("::1");
      expect(parseHost("[::1]")).to.equal("::1");
      expect(parseHost("localhost")).to.equal("localhost");
      expect(parseHost("devnet-1.example.org")).to.equal("devnet-1.example.org");
    });

    it("refuses what is neither, naming the value", function () {
      for (const value of [
        "",
        "bad host!",
        "-leading.dash",
        "trailing-.dash",
        "a..b",
        "http://127.0.0.1",
        "[nope]",
      ]) {
        expect(() => parseHost(value), value).to.throw(
          InvalidArgumentError,
          `"${value}" is neither an IP address nor a host name.`,
        );
      }
    });
  });

  describe("integerIn", function () {
    it("accepts the range and refuses what is outside, naming the value", function () {
      const parse = integerIn("the number of accounts", 1, 20);
      expect(parse("1")).to.equal(1);
      expect(parse("20")).to.equal(20);
      for (const value of ["0", "21", "x", "-3", "1.5"]) {
        expect(() => parse(value), value).to.throw(
          InvalidArgumentError,
          "the number of accounts must be a whole number from 1 to 20.",
        );
      }
    });
  });
});
