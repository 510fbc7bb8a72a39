/**
 * The watching side of bench/fanout.ts, in its own process: N socket.io clients subscribe to
 * one session and note when each batch arrives (epoch ms). Told the moment each event was
 * produced, it answers a histogram of lags (0.1 ms buckets) and events per second per client.
 *
 * argv: <url> <sessionId> <clients>. Messages: sends {ready}, receives {stamps, from, to},
 * sends {report}.
 */
import type { ClientToServerEvents, ServerToClientEvents } from '@tcplab/contract';
import { io, type Socket } from 'socket.io-client';

const [url = '', sessionId = '', count = '300'] = process.argv.slice(2);
const now = () => performance.timeOrigin + performance.now();

/** Per client: [firstEventId, lastEventId, receivedAt] of every batch. */
const arrivals: number[][] = [];
const sockets: Socket<ServerToClientEvents, ClientToServerEvents>[] = [];

async function connectAll(): Promise<void> {
  for (let i = 0; i < Number(count); i++) {
    const log: number[] = [];
    arrivals.push(log);
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(url, {
      transports: ['websocket'],
      reconnection: false,
    });
    sockets.push(socket);
    socket.on('events', (batch) => {
      const first = batch.events[0]?.eventId ?? 0;
      const last = batch.events.at(-1)?.eventId ?? 0;
      log.push(first, last, now());
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const lastEventId = await new Promise<number>((resolve, reject) =>
      socket.emit('subscribe', { sessionId }, (ack) =>
        ack.ok ? resolve(ack.lastEventId) : reject(new Error(ack.message)),
      ),
    );
    // The replay of what exists already is not the subject: wait until it is in.
    while ((log.at(-2) ?? 0) < lastEventId) await new Promise((r) => setTimeout(r, 5));
  }
}

/** Where the event loop's busy share is measured from: once connected, the live part only. */
let busySince = performance.eventLoopUtilization();

/** Lags in 0.1 ms buckets up to this many ms; later ones count in the last bucket. */
const LAG_RANGE_MS = 30_000;

function report(stamps: Record<string, number>, from: number, to: number) {
  const lagHistogram = new Array<number>(LAG_RANGE_MS * 10 + 1).fill(0);
  const perClient: number[] = [];
  let missing = 0;
  for (const log of arrivals) {
    let received = 0;
    let firstAt = Infinity;
    let lastAt = 0;
    for (let i = 0; i < log.length; i += 3) {
      const [first = 0, last = 0, at = 0] = [log[i], log[i + 1], log[i + 2]];
      for (let id = Math.max(first, from); id <= Math.min(last, to); id++) {
        const produced = stamps[id];
        if (produced === undefined) continue;
        const bucket = Math.min(LAG_RANGE_MS * 10, Math.max(0, Math.round((at - produced) * 10)));
        lagHistogram[bucket] = (lagHistogram[bucket] ?? 0) + 1;
        received += 1;
        firstAt = Math.min(firstAt, produced);
        lastAt = Math.max(lastAt, at);
      }
    }
    missing += to - from + 1 - received;
    perClient.push(received / ((lastAt - firstAt) / 1000));
  }
  return {
    lagHistogram,
    perClient,
    missing,
    busy: performance.eventLoopUtilization(busySince).utilization,
  };
}

export type ClientsReport = ReturnType<typeof report>;

process.on('message', (message: { stamps: Record<string, number>; from: number; to: number }) => {
  for (const socket of sockets) socket.disconnect();
  // The channel closes once the report is through it.
  process.send?.({ report: report(message.stamps, message.from, message.to) }, () =>
    process.disconnect(),
  );
});

await connectAll();
process.send?.({ ready: true });
busySince = performance.eventLoopUtilization();
