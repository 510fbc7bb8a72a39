/**
 * Reads a scenario file (YAML or JSON) and checks it against the contract's schema, step by
 * step, so that a mistake is reported where it is: `handshake.yaml:14: steps/3/connect/to:
 * no endpoint named sever`.
 */
import {
  Expectations,
  Scenario,
  STEP_KINDS,
  STEP_SCHEMAS,
  type Scenario as ScenarioType,
  type StepKind,
} from '@tcplab/contract';
import { Type, type TSchema } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';

export interface ScenarioProblem {
  /** A JSON-pointer-like path into the scenario: `steps/3/connect/to`. */
  path: string;
  message: string;
  /** The line in the file, when known. */
  line?: number;
}

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  constructor(
    readonly source: string,
    readonly problems: ScenarioProblem[],
  ) {
    super(
      problems
        .map(
          (p) =>
            `${source}${p.line === undefined ? '' : `:${p.line}`}: ${p.path === '' ? '' : `${p.path}: `}${p.message}`,
        )
        .join('\n'),
    );
  }
}

/** The top level of a scenario with its steps taken as they come (checked one by one). */
const ScenarioShape = Type.Object(
  {
    ...Scenario.properties,
    steps: Type.Array(Type.Unknown()),
    expect: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

/** Each schema is compiled once, the first time it checks a value: a library has many steps. */
const validators = new Map<TSchema, Validator>();

function validator(schema: TSchema): Validator {
  let compiled = validators.get(schema);
  if (compiled === undefined) {
    compiled = Compile(schema);
    validators.set(schema, compiled);
  }
  return compiled;
}

function schemaProblems(schema: TSchema, value: unknown, base: string): ScenarioProblem[] {
  const check = validator(schema);
  if (check.Check(value)) return [];
  const problems = check
    .Errors(value)
    // A union reports each branch; the branch errors below it say more.
    .filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'boolean')
    .map((e) => ({
      path: `${base}${e.instancePath}`.replace(/^\//, ''),
      message:
        e.keyword === 'additionalProperties'
          ? `unknown field ${JSON.stringify((e.params as { additionalProperties?: string[] }).additionalProperties?.[0] ?? '')}`
          : e.message,
    }));
  // The first problem at each path is enough.
  const seen = new Set<string>();
  return problems.filter((p) => !seen.has(p.path) && seen.add(p.path));
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The endpoint names a step value refers to, with their paths. */
function references(kind: StepKind, value: unknown, path: string): [string, string][] {
  if (typeof value === 'string') {
    return kind === 'note' || kind === 'removeFault' ? [] : [[path, value]];
  }
  if (!isObject(value)) return [];
  const refs: [string, string][] = [];
  for (const field of ['endpoint', 'to', 'src', 'dst'] as const) {
    const v = value[field];
    if (typeof v === 'string') refs.push([`${path}/${field}`, v]);
  }
  const match = value.match;
  if (isObject(match)) {
    for (const field of ['from', 'to'] as const) {
      const v = match[field];
      if (typeof v === 'string') refs.push([`${path}/match/${field}`, v]);
    }
  }
  return refs;
}

function stepProblems(
  step: unknown,
  path: string,
  endpoints: Set<string>,
  faults: Set<string>,
): ScenarioProblem[] {
  if (!isObject(step))
    return [{ path, message: 'a step is an object with one key, e.g. {listen: server}' }];
  const keys = Object.keys(step);
  const kind = keys[0] as StepKind | undefined;
  if (keys.length !== 1 || kind === undefined) {
    return [
      {
        path,
        message: `a step has exactly one key (got ${keys.length}: ${keys.join(', ') || 'none'})`,
      },
    ];
  }
  if (!STEP_KINDS.includes(kind)) {
    return [{ path, message: `unknown step "${kind}" (known: ${STEP_KINDS.join(', ')})` }];
  }
  const value = step[kind];
  const at = `${path}/${kind}`;
  const problems = schemaProblems(STEP_SCHEMAS[kind], value, at);
  if (problems.length > 0) return problems;
  for (const [where, ref] of references(kind, value, at)) {
    const name = ref.split('#')[0] ?? '';
    if (!endpoints.has(name)) problems.push({ path: where, message: `no endpoint named ${name}` });
  }
  if (isObject(value)) {
    if (kind === 'send') {
      const given = ['data', 'base64', 'bytes'].filter((k) => value[k] !== undefined);
      if (given.length !== 1) {
        problems.push({ path: at, message: 'give exactly one of data, base64 and bytes' });
      }
    }
    if (kind === 'inject' && value.data !== undefined && value.base64 !== undefined) {
      problems.push({ path: at, message: 'give data or base64, not both' });
    }
    if (kind === 'fault') {
      if (value.action === 'delay' && value.delayMs === undefined) {
        problems.push({ path: at, message: 'a delay rule needs delayMs' });
      }
      if (typeof value.name === 'string') {
        if (faults.has(value.name))
          problems.push({ path: `${at}/name`, message: `fault ${value.name} is named twice` });
        faults.add(value.name);
      }
    }
  }
  if (kind === 'removeFault' && typeof value === 'string' && !faults.has(value)) {
    problems.push({ path: at, message: `no fault named ${value} before this step` });
  }
  if (kind === 'expect') problems.push(...expectationProblems(value, at, endpoints));
  return problems;
}

/** Endpoints the expectations name that the scenario does not declare. */
function expectationProblems(
  expect: unknown,
  path: string,
  endpoints: Set<string>,
): ScenarioProblem[] {
  if (!isObject(expect) || !isObject(expect.endpoints)) return [];
  return Object.keys(expect.endpoints).flatMap((ref) => {
    const name = ref.split('#')[0] ?? '';
    return endpoints.has(name)
      ? []
      : [{ path: `${path}/endpoints/${ref}`, message: `no endpoint named ${name}` }];
  });
}

/** Checks a parsed scenario; throws a ScenarioError naming every problem. */
export function validateScenario(
  value: unknown,
  source: string,
  doc?: Document,
  lines?: LineCounter,
): ScenarioType {
  const problems = schemaProblems(ScenarioShape, value, '');
  if (isObject(value) && isObject(value.endpoints)) {
    const endpoints = new Set(Object.keys(value.endpoints));
    const faults = new Set<string>();
    if (Array.isArray(value.steps)) {
      value.steps.forEach((step, i) =>
        problems.push(...stepProblems(step, `steps/${i}`, endpoints, faults)),
      );
    }
    if (value.expect !== undefined) {
      problems.push(...expectationProblems(value.expect, 'expect', endpoints));
      problems.push(...schemaProblems(Expectations, value.expect, 'expect'));
    }
  }
  if (problems.length > 0) {
    throw new ScenarioError(
      source,
      problems.map((p) => withLine(p, doc, lines)),
    );
  }
  return value as ScenarioType;
}

/** The line of the deepest node of the document on the problem's path. */
function withLine(problem: ScenarioProblem, doc?: Document, lines?: LineCounter): ScenarioProblem {
  if (doc === undefined || lines === undefined) return problem;
  const keys =
    problem.path === ''
      ? []
      : problem.path.split('/').map((k) => (/^\d+$/.test(k) ? Number(k) : k));
  for (let n = keys.length; n >= 0; n--) {
    const node: unknown = n === 0 ? doc.contents : doc.getIn(keys.slice(0, n), true);
    if (isNode(node) && node.range !== undefined && node.range !== null) {
      return { ...problem, line: lines.linePos(node.range[0]).line };
    }
  }
  return problem;
}

/** Parses YAML (a superset of JSON, so JSON files read the same) and validates it. */
export function parseScenario(text: string, source = 'scenario'): ScenarioType {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ScenarioError(
      source,
      doc.errors.map((e) => ({
        path: '',
        message: e.message.split('\n')[0] ?? e.message,
        line: lines.linePos(e.pos[0]).line,
      })),
    );
  }
  return validateScenario(doc.toJS(), source, doc, lines);
}
