// Minimal JSON writing (no floats): strings with the escapes JSON requires.

const HEX = "0123456789abcdef";

/** `s` as a JSON string literal, quotes included. */
export function jsonString(s: string): string {
  let out = '"';
  let from = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    let esc: string | null = null;
    if (c == 34) esc = '\\"';
    else if (c == 92) esc = "\\\\";
    else if (c == 10) esc = "\\n";
    else if (c == 13) esc = "\\r";
    else if (c == 9) esc = "\\t";
    else if (c < 0x20) esc = "\\u00" + HEX.charAt(c >> 4) + HEX.charAt(c & 15);
    if (esc !== null) {
      out += s.substring(from, i) + esc;
      from = i + 1;
    }
  }
  return out + s.substring(from) + '"';
}

/** Builds a JSON object of string values, in insertion order. */
export class JsonObject {
  private parts: string[] = [];

  set(key: string, value: string): JsonObject {
    this.parts.push(jsonString(key) + ":" + jsonString(value));
    return this;
  }

  /** Adds a value that is already JSON (a number, an array, an object). */
  setRaw(key: string, json: string): JsonObject {
    this.parts.push(jsonString(key) + ":" + json);
    return this;
  }

  toString(): string {
    return "{" + this.parts.join(",") + "}";
  }
}
