/**
 * Typed reads of parsed JSON from a file (a manifest, a config): each failure is a RefusedFileError
 * naming the file, the field and what it holds, e.g.
 * `run/config.json: expected config.units to be an integer in [1, 9007199254740991], got "abc"`.
 */
import { RefusedFileError } from './safe_dir';

function show(v: unknown): string {
  const s = v === undefined ? 'nothing' : (JSON.stringify(v) ?? String(v));
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function childName(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (!/^[A-Za-z_$][\w$]*$/.test(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

export class JsonField {
  constructor(
    private readonly file: string,
    readonly value: unknown,
    /** Where in the document, e.g. files["model.bin"].arrays[0].shape ('' = the whole). */
    readonly name = '',
  ) {}

  fail(expected: string): never {
    throw new RefusedFileError(this.file, `expected ${this.name === '' ? 'the document' : this.name} to be ${expected}, got ${show(this.value)}`);
  }

  object(): Record<string, unknown> {
    if (typeof this.value !== 'object' || this.value === null || Array.isArray(this.value)) this.fail('an object');
    return this.value as Record<string, unknown>;
  }

  /** The field key of this object (its value may be undefined: each reader then refuses it). */
  get(key: string): JsonField {
    const o = this.object();
    return new JsonField(this.file, Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined, childName(this.name, key));
  }

  has(key: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.object(), key);
  }

  entries(): Array<[string, JsonField]> {
    return Object.entries(this.object()).map(([k, v]) => [k, new JsonField(this.file, v, childName(this.name, k))]);
  }

  items(maxLength = Number.MAX_SAFE_INTEGER): JsonField[] {
    if (!Array.isArray(this.value)) this.fail('an array');
    if (this.value.length > maxLength) this.fail(`an array of at most ${maxLength} items`);
    return this.value.map((v, i) => new JsonField(this.file, v, childName(this.name, i)));
  }

  int(min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.value;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) this.fail(`an integer in [${min}, ${max}]`);
    return v;
  }

  /** A finite number in [min, max], or in (min, max] when minExclusive. */
  number(min = -Infinity, max = Infinity, minExclusive = false): number {
    const v = this.value;
    const low = minExclusive ? `(${min}` : `[${min}`;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (minExclusive && v === min)) this.fail(`a finite number in ${low}, ${max}]`);
    return v;
  }

  string(pattern?: RegExp): string {
    const v = this.value;
    if (typeof v !== 'string' || (pattern !== undefined && !pattern.test(v))) this.fail(pattern === undefined ? 'a string' : `a string matching ${pattern}`);
    return v;
  }

  oneOf<T extends string>(allowed: readonly T[]): T {
    if (!allowed.includes(this.value as T)) this.fail(`one of ${allowed.join(', ')}`);
    return this.value as T;
  }

  orNull<T>(read: (f: JsonField) => T): T | null {
    return this.value === null ? null : read(this);
  }
}
