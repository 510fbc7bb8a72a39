/**
 * /v1/scenarios: the scenario library, the lessons `tcplab scenarios list` shows, for lab
 * platforms and the dashboard's presets. Read once; any key may read them.
 */
import { Problem, Scenario, ScenarioList, ScenarioParams } from '@tcplab/contract';
import { loadLibrary } from '@tcplab/client/library';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Access } from '../auth/access.js';
import { ApiProblem, Problems } from '../errors.js';

const scenarioRoutes: FastifyPluginCallbackTypebox = (app, _options, done) => {
  // Read at the first request, not at start: parsing the files takes a while (100 ms), and
  // start-up is better without it.
  let library: Map<string, Scenario> | undefined;
  const scenarios = () =>
    (library ??= new Map(loadLibrary().map((entry) => [entry.name, entry.scenario])));

  app.get(
    '/v1/scenarios',
    {
      config: { access: Access.read },
      schema: {
        tags: ['scenarios'],
        summary: 'The scenario library: one lesson per TCP behaviour',
        response: { 200: ScenarioList },
      },
    },
    () => ({
      items: [...scenarios().values()].map(({ name, title, description, tags }) => ({
        name,
        title,
        description,
        tags: tags ?? [],
      })),
    }),
  );

  app.get(
    '/v1/scenarios/:name',
    {
      config: { access: Access.read },
      schema: {
        tags: ['scenarios'],
        summary: 'One scenario of the library: settings, endpoints, steps and expectations',
        params: ScenarioParams,
        response: { 200: Scenario, 400: Problem, 404: Problem },
      },
    },
    (request) => {
      const scenario = scenarios().get(request.params.name);
      if (scenario === undefined) {
        throw new ApiProblem(
          Problems.notFound,
          `no scenario ${request.params.name} in the library`,
        );
      }
      return scenario;
    },
  );

  done();
};

export default scenarioRoutes;
