/** A LabTarget on a tcplab service, through the SDK: each call is one REST request. */
import type { TcplabClient } from '../client.js';
import type { AnyTraceEvent } from '../api/trace.js';
import type { LabSession, LabTarget } from './target.js';

/** The largest page the event list serves. */
const PAGE = 1000;

export function restTarget(client: TcplabClient, where: string): LabTarget {
  return {
    where,
    async open(settings) {
      const { id } = await client.sessions.create(settings);
      return restSession(client, id);
    },
  };
}

export function restSession(client: TcplabClient, sid: string): LabSession {
  const { endpoints, faults, sessions, trace } = client;
  return {
    id: sid,
    addEndpoint: (spec) => endpoints.create(sid, spec),
    call: async (eid, call) => {
      await endpoints[call](sid, eid);
    },
    connect: async (eid, remote) => {
      await endpoints.connect(sid, eid, { remote });
    },
    send: (eid, body) => endpoints.send(sid, eid, body),
    receive: (eid, body) => endpoints.receive(sid, eid, body),
    clock: (action) => sessions.clock(sid, action),
    setLink: async (link) => {
      await sessions.update(sid, { link });
    },
    addFault: (body) => faults.create(sid, body),
    removeFault: (fid) => faults.delete(sid, fid),
    inject: (body) => faults.inject(sid, body),
    // The service's schema refuses an option no live endpoint takes (400), as the in-process
    // target does.
    setOptions: (eid, options) => endpoints.setOptions(sid, eid, options),
    endpoints: async () => (await endpoints.list(sid)).items,
    async events(after) {
      const all: AnyTraceEvent[] = [];
      for (let from = after; ;) {
        const page = await trace.events(sid, { after: from, limit: PAGE });
        all.push(...page.items);
        if (page.items.length < PAGE) return all;
        from = page.nextAfter;
      }
    },
    pcapng: () => trace.pcapng(sid),
  };
}
