/** Times for people: chain timestamps as ISO 8601, durations as `1 h 2 min 5 s`. */

/** Unix seconds as an ISO 8601 UTC time. */
export function isoTime(seconds: bigint | number): string {
  return new Date(Number(seconds) * 1000).toISOString();
}

/** A duration in seconds as `2 d 3 h`, `14 min 59 s`, `0 s`: the non-zero units, largest first. */
export function formatDuration(seconds: bigint | number): string {
  let rest = BigInt(seconds);
  if (rest < 0n) rest = -rest;
  const parts: string[] = [];
  for (const [unit, size] of [
    ["d", 86_400n],
    ["h", 3_600n],
    ["min", 60n],
    ["s", 1n],
  ] as const) {
    const count = rest / size;
    rest %= size;
    if (count > 0n) parts.push(`${count} ${unit}`);
  }
  return parts.length === 0 ? "0 s" : parts.join(" ");
}

/** `at` relative to `now` (both Unix seconds): `in 14 min 59 s`, `3 s ago`, or `now`. */
export function relativeTime(at: bigint, now: bigint): string {
  if (at === now) return "now";
  return at > now ? `in ${formatDuration(at - now)}` : `${formatDuration(now - at)} ago`;
}
