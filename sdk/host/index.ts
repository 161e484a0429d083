/**
 * The native V8 host for Holoproof processes (seed of the "fast mode") and the helpers a host or a
 * test needs: the outbound encoding of `holo.send`/`holo.spawn` items and address strings.
 */
export { ProcessHost, HostInstantiationError, type HostOptions, type HostOutcome } from "./host";
export { HostTrap, classifyTrap, type TrapInfo } from "./traps";
export {
  encodeOutbound,
  decodeOutbound,
  viewOutbound,
  outbound,
  OutboundEncodingError,
  type Outbound,
  type OutboundView,
} from "./outbound";
export { formatAddress, parseAddress, canonicalAddress, AddressError } from "./address";
export { patchForHost, MEMORY_EXPORT, GLOBAL_EXPORT_PREFIX } from "./patch";
