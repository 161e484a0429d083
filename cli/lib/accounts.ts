/** The accounts of the Hardhat network, with their private keys (development only). */
import { HDNodeWallet, Wallet } from "ethers";
import type { HardhatNetworkAccountsConfig } from "hardhat/types";

/** A development account: its address and its private key, public knowledge, for local networks only. */
export interface DevAccount {
  index: number;
  address: string;
  privateKey: string;
}

/**
 * The first `count` accounts of the Hardhat network configuration: derived from its mnemonic (by
 * default Hardhat's well-known `test test … junk`), or its explicit private keys.
 */
export function devAccounts(config: HardhatNetworkAccountsConfig, count: number): DevAccount[] {
  if (Array.isArray(config)) {
    return config.slice(0, count).map((account, index) => {
      const wallet = new Wallet(account.privateKey);
      return { index, address: wallet.address, privateKey: wallet.privateKey };
    });
  }
  const accounts: DevAccount[] = [];
  for (let index = 0; index < Math.min(count, config.count); index++) {
    const wallet = HDNodeWallet.fromPhrase(
      config.mnemonic,
      config.passphrase,
      `${config.path}/${config.initialIndex + index}`,
    );
    accounts.push({ index, address: wallet.address, privateKey: wallet.privateKey });
  }
  return accounts;
}

/** How many accounts the Hardhat network configuration has. */
export function accountCount(config: HardhatNetworkAccountsConfig): number {
  return Array.isArray(config) ? config.length : config.count;
}
