/**
 * Validators that coerce what arrives as text (path parameters, the query string, headers:
 * `?limit=10` is the number 10) and nothing else: a JSON body is taken as sent, so `"port":
 * "80"` or `"name": 5` is a 400 naming the field, not a value quietly changed. Fastify's own
 * compiler (@fastify/ajv-compiler) with two option sets; its pool keeps one Ajv for each.
 */
import { AjvCompiler, type RouteDefinition } from '@fastify/ajv-compiler';
import type { FastifyServerOptions } from 'fastify';

type ValidatorFactory = NonNullable<
  NonNullable<
    NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']
  >['buildValidator']
>;
/** What fastify calls a pooled compiler with: the route and the part of the request. */
type CompileForRoute = (route: RouteDefinition) => unknown;

const pool = AjvCompiler();

// The package's types say its compiler takes a schema; fastify (and the package's own code)
// call it with the route definition, which is what this wrapper needs to see.
export const buildValidator = ((
  externalSchemas: Parameters<typeof pool>[0],
  options: { customOptions?: object } = {},
) => {
  const coercing = pool(externalSchemas, options) as unknown as CompileForRoute;
  const exact = pool(externalSchemas, {
    ...options,
    customOptions: { ...options.customOptions, coerceTypes: false },
  }) as unknown as CompileForRoute;
  return (route: RouteDefinition) =>
    (route.httpPart as string) === 'body' ? exact(route) : coercing(route);
}) as unknown as ValidatorFactory;
