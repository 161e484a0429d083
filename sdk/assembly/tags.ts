// Tags: ordered (name, value) pairs, as on an ANS-104 data item.

/** One tag. Build one with `tag(name, value)` or an object literal `{ name: "Action", value: "Info" }`. */
export class Tag {
  name: string = "";
  value: string = "";
}

/** A tag from a name and a value. */
export function tag(name: string, value: string): Tag {
  const t = new Tag();
  t.name = name;
  t.value = value;
  return t;
}

/** The tags of a message, in their order on the message. Duplicate names are kept. */
export class Tags {
  constructor(readonly list: Tag[] = []) {}

  get length(): i32 {
    return this.list.length;
  }

  /** The i-th tag. */
  at(i: i32): Tag {
    return this.list[i];
  }

  /** The value of the first tag called `name` (as aos's `msg.Tags[name]`), or null. */
  get(name: string): string | null {
    const l = this.list;
    for (let i = 0, n = l.length; i < n; i++) {
      const t = unchecked(l[i]);
      if (t.name == name) return t.value;
    }
    return null;
  }

  /** The value of the first tag called `name`, or `fallback`. */
  getOr(name: string, fallback: string): string {
    const v = this.get(name);
    return v !== null ? v : fallback;
  }

  /** Whether a tag called `name` is present. */
  has(name: string): bool {
    return this.get(name) !== null;
  }

  /** The values of every tag called `name`, in order. */
  getAll(name: string): string[] {
    const out = new Array<string>();
    const l = this.list;
    for (let i = 0, n = l.length; i < n; i++) {
      const t = unchecked(l[i]);
      if (t.name == name) out.push(t.value);
    }
    return out;
  }
}
