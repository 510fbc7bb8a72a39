/**
 * RFC 9293's state diagram (§3.3.2, Figure 5): the eleven states and their transitions, each
 * endpoint's current state marked with its name in its colour, the last transition drawn bold
 * with its cause.
 */
import { endpointColour } from '../theme';

/** Where each state sits (the RFC's figure, more or less). */
const PLACES: Record<string, [number, number]> = {
  CLOSED: [250, 20],
  LISTEN: [250, 80],
  'SYN-RECEIVED': [110, 150],
  'SYN-SENT': [390, 150],
  ESTABLISHED: [250, 220],
  'FIN-WAIT-1': [110, 290],
  'CLOSE-WAIT': [390, 290],
  'FIN-WAIT-2': [60, 370],
  CLOSING: [190, 370],
  'LAST-ACK': [390, 370],
  'TIME-WAIT': [125, 440],
};

/** Figure 5's arrows (a listener's connections are endpoints of their own: CLOSED -> SYN-RECEIVED). */
export const TRANSITIONS: [string, string][] = [
  ['CLOSED', 'LISTEN'],
  ['CLOSED', 'SYN-SENT'],
  ['CLOSED', 'SYN-RECEIVED'],
  ['LISTEN', 'CLOSED'],
  ['LISTEN', 'SYN-SENT'],
  ['LISTEN', 'SYN-RECEIVED'],
  ['SYN-SENT', 'SYN-RECEIVED'],
  ['SYN-SENT', 'ESTABLISHED'],
  ['SYN-SENT', 'CLOSED'],
  ['SYN-RECEIVED', 'ESTABLISHED'],
  ['SYN-RECEIVED', 'FIN-WAIT-1'],
  ['SYN-RECEIVED', 'CLOSED'],
  ['ESTABLISHED', 'FIN-WAIT-1'],
  ['ESTABLISHED', 'CLOSE-WAIT'],
  ['FIN-WAIT-1', 'FIN-WAIT-2'],
  ['FIN-WAIT-1', 'CLOSING'],
  ['FIN-WAIT-1', 'TIME-WAIT'],
  ['FIN-WAIT-2', 'TIME-WAIT'],
  ['CLOSING', 'TIME-WAIT'],
  ['CLOSE-WAIT', 'LAST-ACK'],
  ['LAST-ACK', 'CLOSED'],
  ['TIME-WAIT', 'CLOSED'],
];

export interface DiagramEndpoint {
  id: string;
  name: string;
  colourIndex: number;
  state: string;
  last: { from: string; to: string; cause: string } | undefined;
}

export function StateDiagram({ endpoints }: { endpoints: DiagramEndpoint[] }) {
  const lastEdges = new Map(
    endpoints.flatMap((e) => (e.last === undefined ? [] : [[`${e.last.from}>${e.last.to}`, e]])),
  );
  return (
    <figure className="state-diagram" aria-label="State diagram">
      <svg viewBox="0 0 500 470" role="img" aria-label="RFC 9293 state diagram">
        <defs>
          <marker
            id="head"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="8"
            markerHeight="8"
            markerUnits="userSpaceOnUse"
            orient="auto-start-reverse"
          >
            <path d="M 0 0 L 10 5 L 0 10 z" fill="#8a8a8a" />
          </marker>
        </defs>
        {TRANSITIONS.map(([from, to]) => {
          const [x1, y1] = PLACES[from] ?? [0, 0];
          const [x2, y2] = PLACES[to] ?? [0, 0];
          const last = lastEdges.get(`${from}>${to}`);
          return (
            <line
              key={`${from}>${to}`}
              x1={x1}
              y1={y1}
              x2={x1 + (x2 - x1) * 0.82}
              y2={y1 + (y2 - y1) * 0.82}
              className={last === undefined ? 'edge' : 'edge last'}
              stroke={last === undefined ? '#c9c9c9' : endpointColour(last.colourIndex)}
              markerEnd="url(#head)"
            />
          );
        })}
        {Object.entries(PLACES).map(([state, [x, y]]) => {
          const here = endpoints.filter((e) => e.state === state);
          return (
            <g key={state} data-state={state} data-current={here.map((e) => e.name).join(' ')}>
              <rect
                x={x - 52}
                y={y - 12}
                width={104}
                height={24}
                rx={6}
                className={here.length > 0 ? 'state current' : 'state'}
                stroke={here.length > 0 ? endpointColour(here[0]?.colourIndex ?? 0) : '#8a8a8a'}
              />
              <text x={x} y={y + 4} textAnchor="middle" className="state-name">
                {state}
              </text>
              {here.map((e, i) => (
                <text
                  key={e.id}
                  x={x + 56}
                  y={y + 4 + i * 13}
                  className="state-who"
                  fill={endpointColour(e.colourIndex)}
                >
                  ◆ {e.name}
                </text>
              ))}
            </g>
          );
        })}
      </svg>
      <figcaption>
        {endpoints
          .filter((e) => e.last !== undefined)
          .map((e) => (
            <span
              key={e.id}
              className="transition"
              style={{ color: endpointColour(e.colourIndex) }}
            >
              {e.name}: {e.last?.from} → {e.last?.to} ({e.last?.cause})
            </span>
          ))}
      </figcaption>
    </figure>
  );
}
