/** The --server and --key options: where a CLI command runs its scenarios. */
import { createClient } from '../client.js';
import { localTarget } from '../scenario/local-target.js';
import { restTarget } from '../scenario/rest-target.js';
import type { LabTarget } from '../scenario/target.js';
import { UsageError } from './sources.js';

export const TARGET_OPTIONS = {
  server: { type: 'string' },
  key: { type: 'string' },
} as const;

export const TARGET_HELP = `  --server URL   run on a tcplab service (the session stays there for the dashboard)
                 instead of in this process
  --key KEY      the service's API key (default: $TCPLAB_KEY)`;

export function targetOf(values: {
  server?: string | undefined;
  key?: string | undefined;
}): LabTarget {
  if (values.server === undefined) {
    if (values.key !== undefined) throw new UsageError('--key is for --server');
    return localTarget();
  }
  let url: URL;
  try {
    url = new URL(values.server);
  } catch {
    throw new UsageError(`--server: not a URL: ${values.server}`);
  }
  const apiKey = values.key ?? process.env.TCPLAB_KEY;
  const client = createClient({ baseUrl: url.href, ...(apiKey === undefined ? {} : { apiKey }) });
  return restTarget(client, url.href.replace(/\/$/, ''));
}
