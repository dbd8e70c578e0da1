// Exact JSON for Spark's 64-bit integers.
//
// Spark's longs (and sparkMeasure's records) are 64-bit; a JavaScript number holds integers
// exactly only up to 2^53. The records carry such values as bigint, and these two functions
// are JSON.stringify / JSON.parse with one difference: a bigint is written as its decimal
// digits (a JSON number, never a string, never through a double), and parsing gives a bigint
// for an integer literal outside Number's safe range (a number otherwise), so
// parseJson(jsonText(x)) gives back x for every record toSparkMeasureRecords() builds.

/** Compact JSON text of `value` like JSON.stringify, with bigints as exact JSON integers. */
export function jsonText(value: unknown): string {
  return write(value) ?? 'null';
}

function write(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'bigint':
      return `${value}`;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let s = '[';
        for (let i = 0; i < value.length; i++) {
          if (i) s += ',';
          const t = write(value[i]);
          s += t === undefined ? 'null' : t;
        }
        return `${s}]`;
      }
      const toJSON = (value as { toJSON?: () => unknown }).toJSON;
      if (typeof toJSON === 'function') return write(toJSON.call(value));
      let s = '{';
      let first = true;
      for (const k of Object.keys(value)) {
        const t = write((value as Record<string, unknown>)[k]);
        if (t === undefined) continue;
        s += `${first ? '' : ','}${JSON.stringify(k)}:${t}`;
        first = false;
      }
      return `${s}}`;
    }
    default:
      // undefined, functions, symbols: left out of objects, null in arrays (as JSON.stringify).
      return undefined;
  }
}

/** A long as a record value: a number when it is a safe integer, else the exact bigint. */
export function jsonLong(v: bigint): number | bigint {
  return v <= 9007199254740991n && v >= -9007199254740991n ? Number(v) : v;
}

/**
 * JSON.parse, except that an integer literal outside Number's safe range becomes a bigint
 * with its exact value (JSON.parse would round it to the nearest double).
 */
export function parseJson(text: string): unknown {
  let pos = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at position ${pos} in JSON`);
  };
  const ws = () => {
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else return;
    }
  };
  const value = (): unknown => {
    ws();
    const c = text[pos];
    if (c === '{') {
      pos++;
      const o: Record<string, unknown> = {};
      ws();
      if (text[pos] === '}') {
        pos++;
        return o;
      }
      for (;;) {
        ws();
        if (text[pos] !== '"') fail('expected a string key');
        const k = str();
        ws();
        if (text[pos++] !== ':') fail('expected ":"');
        o[k] = value();
        ws();
        const d = text[pos++];
        if (d === '}') return o;
        if (d !== ',') fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      pos++;
      const a: unknown[] = [];
      ws();
      if (text[pos] === ']') {
        pos++;
        return a;
      }
      for (;;) {
        a.push(value());
        ws();
        const d = text[pos++];
        if (d === ']') return a;
        if (d !== ',') fail('expected "," or "]"');
      }
    }
    if (c === '"') return str();
    if (text.startsWith('true', pos)) return (pos += 4), true;
    if (text.startsWith('false', pos)) return (pos += 5), false;
    if (text.startsWith('null', pos)) return (pos += 4), null;
    const m = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
    m.lastIndex = pos;
    const r = m.exec(text);
    if (!r) return fail('unexpected token');
    pos += r[0].length;
    if (r[1] === undefined && r[2] === undefined) {
      const n = Number(r[0]);
      return Number.isSafeInteger(n) ? n : BigInt(r[0]);
    }
    return Number(r[0]);
  };
  const str = (): string => {
    const start = pos;
    pos++;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (Number.isNaN(c)) fail('unterminated string');
      if (c === 0x5c) pos += 2;
      else {
        pos++;
        if (c === 0x22) break;
      }
    }
    return JSON.parse(text.slice(start, pos)) as string;
  };
  const out = value();
  ws();
  if (pos !== text.length) fail('unexpected text after JSON');
  return out;
}
