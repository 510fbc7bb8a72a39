/**
 * fast-check arbitraries made from a route's own JSON schemas (TypeBox output): values that
 * match the schema, and mutations of them (a field dropped, a value of the wrong type, a
 * number past its bound, a string with NUL, a field no schema names), for the property test
 * that throws them at every route.
 */
import fc from 'fast-check';

type Schema = Record<string, unknown>;

const asSchema = (value: unknown): Schema | undefined =>
  typeof value === 'object' && value !== null ? (value as Schema) : undefined;

/** Values the schema accepts (or nearly: patterns with lookarounds are approximated). */
export function matching(schema: unknown, depth = 0): fc.Arbitrary<unknown> {
  const node = asSchema(schema);
  if (node === undefined || depth > 6) return fc.jsonValue({ maxDepth: 1 });
  if ('const' in node) return fc.constant(node['const']);
  if (Array.isArray(node['enum'])) return fc.constantFrom(...(node['enum'] as unknown[]));
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = node[key];
    if (Array.isArray(options) && options.length > 0) {
      return fc.oneof(...options.map((option) => matching(option, depth + 1)));
    }
  }
  switch (node['type']) {
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'integer':
      return fc.integer({
        min: Math.max(Number(node['minimum'] ?? -1e6), Number.MIN_SAFE_INTEGER),
        max: Math.min(Number(node['maximum'] ?? 1e6), Number.MAX_SAFE_INTEGER),
      });
    case 'number':
      return fc.double({
        min: Number(node['minimum'] ?? -1e6),
        max: Number(node['maximum'] ?? 1e6),
        noNaN: true,
        noDefaultInfinity: true,
      });
    case 'string':
      return text(node);
    case 'array':
      return fc.array(matching(node['items'], depth + 1), {
        maxLength: Math.min(Number(node['maxItems'] ?? 4), 8),
      });
    case 'object':
      return object(node, depth);
    default:
      return fc.jsonValue({ maxDepth: 1 });
  }
}

function text(node: Schema): fc.Arbitrary<string> {
  const maxLength = Math.min(Number(node['maxLength'] ?? 40), 200);
  const minLength = Number(node['minLength'] ?? 0);
  if (node['format'] === 'uuid') return fc.uuid();
  if (node['format'] === 'ipv4') return fc.ipV4();
  const pattern = node['pattern'];
  if (typeof pattern === 'string') {
    try {
      return fc
        .stringMatching(new RegExp(pattern))
        .filter((s) => s.length <= maxLength && s.length >= minLength);
    } catch {
      // A pattern fast-check cannot invert: plain text, which the schema may refuse.
    }
  }
  return fc.string({ minLength, maxLength });
}

function object(node: Schema, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const properties = asSchema(node['properties']) ?? {};
  const required = new Set(Array.isArray(node['required']) ? (node['required'] as string[]) : []);
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, property] of Object.entries(properties)) {
    model[name] = matching(property, depth + 1);
  }
  return fc.record(model, {
    requiredKeys: [...required].filter((name) => name in model),
  });
}

/** Hostile values for any one place: wrong types, out of every bound, text that cannot be stored. */
const hostile = fc.oneof(
  fc.constantFrom(
    null,
    true,
    '',
    '\u0000',
    'x\ud800',
    2 ** 53,
    2 ** 64,
    -1,
    1.5,
    '80',
    [],
    {},
    'a'.repeat(5000),
  ),
  fc.jsonValue({ maxDepth: 2 }),
);

/** A value of `schema`, then changed in one place: the kind of body a careless client sends. */
export function mutated(schema: unknown): fc.Arbitrary<unknown> {
  return fc.tuple(matching(schema), hostile, fc.nat(), fc.nat()).map(([value, bad, pick, how]) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad;
    const copy = structuredClone(value) as Record<string, unknown>;
    const keys = Object.keys(copy);
    const key = keys[pick % Math.max(keys.length, 1)];
    if (key === undefined || how % 3 === 0) copy[`unknown${pick % 7}`] = bad;
    else if (how % 3 === 1) copy[key] = bad;
    else delete copy[key];
    return copy;
  });
}
