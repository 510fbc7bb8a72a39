/** /v1/scenarios: the scenario library the service offers (the dashboard's presets). */
import type { Scenario, ScenarioList } from '@tcplab/contract';
import { path, type Rest } from '../rest.js';

export interface ScenariosApi {
  /** GET /v1/scenarios: every lesson of the library, with its title, description and tags. */
  list(): Promise<ScenarioList>;
  /** GET /v1/scenarios/:name: one lesson, ready for runScenario (@tcplab/client/scenarios). */
  get(name: string): Promise<Scenario>;
}

export function scenariosApi(rest: Rest): ScenariosApi {
  return {
    list: () => rest({ method: 'GET', path: '/v1/scenarios' }),
    get: (name) => rest({ method: 'GET', path: path`/v1/scenarios/${name}` }),
  };
}
