import path from "node:path";

import "@nomicfoundation/hardhat-toolbox";
import { subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import type { HardhatUserConfig } from "hardhat/config";

/**
 * The Solidity compiler comes from the npm package `solc` (soljson.js), never from a download:
 * the build machines have no network beyond the npm registry. `solidity.version` is pinned to the
 * package's version so the two cannot drift.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const SOLC_VERSION: string = require("solc/package.json").version;
const SOLJSON_PATH = path.join(path.dirname(require.resolve("solc/package.json")), "soljson.js");

/** The EVM version we compile for: Cancun (transient storage, MCOPY), live on every major EVM chain. */
export const EVM_VERSION = "cancun";

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }, _hre, runSuper) => {
  if (args.solcVersion === SOLC_VERSION) {
    return {
      compilerPath: SOLJSON_PATH,
      isSolcJs: true,
      version: SOLC_VERSION,
      longVersion: SOLC_VERSION,
    };
  }
  return runSuper();
});

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: {
      evmVersion: EVM_VERSION,
      optimizer: { enabled: true, runs: 200 },
    },
  },
  networks: {
    hardhat: {
      hardfork: EVM_VERSION,
      chainId: 31337,
    },
    localhost: {
      url: process.env.HOLO_RPC_URL ?? "http://127.0.0.1:8545",
    },
    // A public test network, configured only from the environment (see deploy/README.md).
    ...(process.env.SEPOLIA_RPC_URL
      ? {
          sepolia: {
            url: process.env.SEPOLIA_RPC_URL,
            chainId: 11155111,
            accounts: process.env.DEPLOYER_PRIVATE_KEY ? [process.env.DEPLOYER_PRIVATE_KEY] : [],
          },
        }
      : {}),
  },
  paths: {
    ignition: "deploy",
  },
  typechain: {
    outDir: "typechain-types",
    target: "ethers-v6",
  },
  gasReporter: {
    enabled: process.env.REPORT_GAS === "true",
    currency: "USD",
    offline: true,
    outputJSON: process.env.REPORT_GAS === "true",
    outputJSONFile: "bench/results/gas-reporter.json",
    reportPureAndViewMethods: false,
    showMethodSig: false,
  },
  mocha: {
    timeout: 120_000,
    // Spec output plus a closing `N passed, N failed, N skipped` line.
    reporter: path.join(__dirname, "scripts", "mocha-reporter.js"),
  },
};

export default config;
