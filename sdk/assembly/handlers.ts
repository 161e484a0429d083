// Handlers, in the style of aos: an ordered list of (name, pattern, handler). For each message, every
// handler whose pattern matches runs, in order:
//   - a pattern returning MATCH_BREAK (< 0) runs its handler and ends the evaluation (aos's `true`/-1);
//   - MATCH_CONTINUE (> 0) runs its handler and goes on to the next (aos's "continue"/1);
//   - MATCH_SKIP (0) skips it.
// If no handler matched with MATCH_BREAK, the default handler (if one is set) runs last.
// AssemblyScript has no closures, so patterns are objects (`hasMatchingTag(…)`, `matching(fn)`) and
// handlers are plain functions `(msg: Msg) => void`.

import { Msg } from "./message";

export const MATCH_SKIP: i32 = 0;
export const MATCH_BREAK: i32 = -1;
export const MATCH_CONTINUE: i32 = 1;

/** A pattern decides whether (and how) a handler runs for a message. */
export abstract class Pattern {
  abstract match(msg: Msg): i32;
}

class TagPattern extends Pattern {
  constructor(
    readonly name: string,
    readonly value: string,
  ) {
    super();
  }
  match(msg: Msg): i32 {
    const v = msg.Tags.get(this.name);
    return v !== null && v == this.value ? MATCH_BREAK : MATCH_SKIP;
  }
}

class TagOfPattern extends Pattern {
  constructor(
    readonly name: string,
    readonly values: string[],
  ) {
    super();
  }
  match(msg: Msg): i32 {
    const v = msg.Tags.get(this.name);
    if (v === null) return MATCH_SKIP;
    for (let i = 0, n = this.values.length; i < n; i++) if (this.values[i] == v) return MATCH_BREAK;
    return MATCH_SKIP;
  }
}

class DataPattern extends Pattern {
  constructor(readonly value: string) {
    super();
  }
  match(msg: Msg): i32 {
    return msg.Data == this.value ? MATCH_BREAK : MATCH_SKIP;
  }
}

class FnPattern extends Pattern {
  constructor(readonly fn: (msg: Msg) => bool) {
    super();
  }
  match(msg: Msg): i32 {
    return this.fn(msg) ? MATCH_BREAK : MATCH_SKIP;
  }
}

class ResultFnPattern extends Pattern {
  constructor(readonly fn: (msg: Msg) => i32) {
    super();
  }
  match(msg: Msg): i32 {
    return this.fn(msg);
  }
}

class ContinuePattern extends Pattern {
  constructor(readonly inner: Pattern) {
    super();
  }
  match(msg: Msg): i32 {
    return this.inner.match(msg) != MATCH_SKIP ? MATCH_CONTINUE : MATCH_SKIP;
  }
}

class AllPattern extends Pattern {
  constructor(readonly parts: Pattern[]) {
    super();
  }
  match(msg: Msg): i32 {
    for (let i = 0, n = this.parts.length; i < n; i++)
      if (this.parts[i].match(msg) == MATCH_SKIP) return MATCH_SKIP;
    return MATCH_BREAK;
  }
}

class AnyPattern extends Pattern {
  constructor(readonly parts: Pattern[]) {
    super();
  }
  match(msg: Msg): i32 {
    for (let i = 0, n = this.parts.length; i < n; i++)
      if (this.parts[i].match(msg) != MATCH_SKIP) return MATCH_BREAK;
    return MATCH_SKIP;
  }
}

/** Matches when the first tag called `name` has value `value` (aos `Handlers.utils.hasMatchingTag`). */
export function hasMatchingTag(name: string, value: string): Pattern {
  return new TagPattern(name, value);
}

/** Matches when the first tag called `name` has one of `values` (aos `hasMatchingTagOf`). */
export function hasMatchingTagOf(name: string, values: string[]): Pattern {
  return new TagOfPattern(name, values);
}

/** Matches when the data, as text, equals `value` (aos `hasMatchingData`). */
export function hasMatchingData(value: string): Pattern {
  return new DataPattern(value);
}

/** Matches when `fn` returns true (aos's function pattern returning a boolean). */
export function matching(fn: (msg: Msg) => bool): Pattern {
  return new FnPattern(fn);
}

/** A function returning MATCH_SKIP, MATCH_BREAK or MATCH_CONTINUE (aos's numeric pattern results). */
export function matchingResult(fn: (msg: Msg) => i32): Pattern {
  return new ResultFnPattern(fn);
}

/** Like `inner`, but evaluation continues after a match (aos `Handlers.utils.continue`). */
export function continuing(inner: Pattern): Pattern {
  return new ContinuePattern(inner);
}

/** Matches when all of `parts` match. */
export function allOf(parts: Pattern[]): Pattern {
  return new AllPattern(parts);
}

/** Matches when any of `parts` matches. */
export function anyOf(parts: Pattern[]): Pattern {
  return new AnyPattern(parts);
}

/** Matches every message. */
export function always(): Pattern {
  return new FnPattern((_msg: Msg): bool => true);
}

class Handler {
  constructor(
    readonly name: string,
    public pattern: Pattern,
    public fn: (msg: Msg) => void,
    /** Runs left, or -1 for unlimited. */
    public maxRuns: i32,
  ) {}
}

export class Handlers {
  private static list: Handler[] = [];
  private static defaultFn: ((msg: Msg) => void) | null = null;

  /**
   * Adds a handler, or replaces the pattern, function and run count of the one called `name` (keeping
   * its place). With `maxRuns` > 0 it is removed after that many runs.
   */
  static add(name: string, pattern: Pattern, fn: (msg: Msg) => void, maxRuns: i32 = -1): void {
    const l = Handlers.list;
    for (let i = 0, n = l.length; i < n; i++) {
      const h = l[i];
      if (h.name == name) {
        h.pattern = pattern;
        h.fn = fn;
        h.maxRuns = maxRuns;
        return;
      }
    }
    l.push(new Handler(name, pattern, fn, maxRuns));
  }

  /** Adds a handler at the front of the list (aos `Handlers.prepend`); an existing one of that name is moved. */
  static prepend(name: string, pattern: Pattern, fn: (msg: Msg) => void, maxRuns: i32 = -1): void {
    Handlers.remove(name);
    Handlers.list.unshift(new Handler(name, pattern, fn, maxRuns));
  }

  /** A handler that runs once (aos `Handlers.once`). */
  static once(name: string, pattern: Pattern, fn: (msg: Msg) => void): void {
    Handlers.add(name, pattern, fn, 1);
  }

  /** Removes the handler called `name`; returns whether there was one. */
  static remove(name: string): bool {
    const l = Handlers.list;
    for (let i = 0, n = l.length; i < n; i++) {
      if (l[i].name == name) {
        l.splice(i, 1);
        return true;
      }
    }
    return false;
  }

  /** Sets the handler for messages that no handler matched with MATCH_BREAK (aos `_default`). */
  static setDefault(fn: (msg: Msg) => void): void {
    Handlers.defaultFn = fn;
  }

  /** The names of the handlers, in order. */
  static names(): string[] {
    const l = Handlers.list;
    const out = new Array<string>(l.length);
    for (let i = 0, n = l.length; i < n; i++) out[i] = l[i].name;
    return out;
  }

  /** Runs the handlers for `msg` (see the top of this file); returns whether one matched with MATCH_BREAK. */
  static evaluate(msg: Msg): bool {
    // Iterate over a copy: handlers may add or remove handlers, and run-limited ones are removed.
    const l = Handlers.list.slice(0);
    for (let i = 0, n = l.length; i < n; i++) {
      const h = l[i];
      const m = h.pattern.match(msg);
      if (m == MATCH_SKIP) continue;
      h.fn(msg);
      if (h.maxRuns > 0) {
        h.maxRuns--;
        if (h.maxRuns == 0) Handlers.removeHandler(h);
      }
      if (m < 0) return true;
    }
    const d = Handlers.defaultFn;
    if (d !== null) d(msg);
    return false;
  }

  private static removeHandler(h: Handler): void {
    const i = Handlers.list.indexOf(h);
    if (i >= 0) Handlers.list.splice(i, 1);
  }
}
