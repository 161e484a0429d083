/** Paths of the repository, independent of the current directory (`holo` runs from anywhere). */
import path from "node:path";

/** The repository root (this file is `<root>/cli/lib/paths.ts`). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** The Hardhat configuration every `holo` command uses. */
export const HARDHAT_CONFIG_PATH = path.join(REPO_ROOT, "hardhat.config.ts");

/** Where `holo devnet` writes its description by default (`.devnet/` is gitignored). */
export const DEFAULT_DEVNET_OUT = path.join(REPO_ROOT, ".devnet", "devnet.json");

/** `file` relative to the repository root when inside it, else absolute (for messages). */
export function displayPath(file: string): string {
  const absolute = path.resolve(file);
  const relative = path.relative(REPO_ROOT, absolute);
  return relative.startsWith("..") || path.isAbsolute(relative) ? absolute : relative;
}
