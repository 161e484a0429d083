/** The domain tags of machine/spec as bytes, one shared instance each (merkle.ts caches by identity). */
import { domainTagBytes } from "../spec";

export const TAG = {
  machine: domainTagBytes("machine"),
  valueStack: domainTagBytes("valueStack"),
  frame: domainTagBytes("frame"),
  frameStack: domainTagBytes("frameStack"),
  localsNode: domainTagBytes("localsNode"),
  globalsNode: domainTagBytes("globalsNode"),
  codeNode: domainTagBytes("codeNode"),
  instruction: domainTagBytes("instruction"),
  tableNode: domainTagBytes("tableNode"),
  tableEntry: domainTagBytes("tableEntry"),
  module: domainTagBytes("module"),
  process: domainTagBytes("process"),
  resultItem: domainTagBytes("resultItem"),
  resultChunk: domainTagBytes("resultChunk"),
  resultError: domainTagBytes("resultError"),
  dataSegment: domainTagBytes("dataSegment"),
  dataNode: domainTagBytes("dataNode"),
  memoryLeaf: domainTagBytes("memoryLeaf"),
  memoryNode: domainTagBytes("memoryNode"),
} as const;
