// The pcapng export: read back block by block (every packet's IPv4 and TCP checksums, its
// fields against the trace, the comments of what the link did), then by tshark, which must
// read it without a word on stderr and validate every checksum but the corrupted segment's.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../src/trace/events.js';
import { toPcapng } from '../src/trace/pcapng.js';
import { internetChecksum, verifyTcpChecksum } from '../src/wire/checksum.js';
import { formatFlags } from '../src/wire/flags.js';
import { decodeSegment } from '../src/wire/segment.js';
import { CLIENT, pair, SERVER, text } from './harness.js';

type SegmentEvent = Extract<TraceEvent, { kind: 'segment' }>;

interface Block {
  type: number;
  body: DataView;
}

function blocks(file: Uint8Array): Block[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const found: Block[] = [];
  for (let at = 0; at < file.length;) {
    const type = view.getUint32(at, true);
    const length = view.getUint32(at + 4, true);
    expect(length % 4).toBe(0);
    expect(view.getUint32(at + length - 4, true)).toBe(length);
    found.push({ type, body: new DataView(file.buffer, file.byteOffset + at + 8, length - 12) });
    at += length;
  }
  return found;
}

/** The options of a block from `offset` in its body: code -> text. */
function options(body: DataView, offset: number): Map<number, Uint8Array> {
  const found = new Map<number, Uint8Array>();
  for (let at = offset; at + 4 <= body.byteLength;) {
    const code = body.getUint16(at, true);
    const length = body.getUint16(at + 2, true);
    if (code === 0) break;
    found.set(code, new Uint8Array(body.buffer, body.byteOffset + at + 4, length));
    at += 4 + ((length + 3) & ~3);
  }
  return found;
}

/** A handshake, 3,000 bytes of data (the second data segment dropped once), and a close. */
function session() {
  const p = pair();
  p.sim.listen(p.server);
  p.sim.addFault({ from: CLIENT, flags: '.', nth: 2 }, 'drop');
  p.sim.addFault({ from: SERVER, flags: '.', nth: 3 }, 'corrupt');
  p.sim.connect(p.client, SERVER);
  p.run();
  p.sim.sendData(p.client, text('x'.repeat(3000)));
  p.run();
  p.sim.close(p.client);
  p.run();
  const segments = p.trace.filter((e): e is SegmentEvent => e.kind === 'segment');
  return { segments, file: toPcapng(segments) };
}

describe('toPcapng', () => {
  it('writes one interface per link and one packet per segment, as the trace has them', () => {
    const { segments, file } = session();
    const [header, ...rest] = blocks(file);
    expect(header?.type).toBe(0x0a0d0d0a);
    expect(header?.body.getUint32(0, true)).toBe(0x1a2b3c4d);
    const interfaces = rest.filter((b) => b.type === 1);
    const packets = rest.filter((b) => b.type === 6);
    expect(interfaces).toHaveLength(1);
    expect(new TextDecoder().decode(options(interfaces[0]!.body, 8).get(2))).toBe(
      '10.0.0.1 <-> 10.0.0.2',
    );
    expect(packets).toHaveLength(segments.length);
    expect(segments.some((s) => s.fate === 'dropped')).toBe(true);
    expect(segments.some((s) => s.fate === 'corrupted')).toBe(true);

    packets.forEach(({ body }, i) => {
      const segment = segments[i]!;
      const timeUs = body.getUint32(4, true) * 2 ** 32 + body.getUint32(8, true);
      expect(timeUs).toBe(segment.timeUs);
      const length = body.getUint32(12, true);
      expect(body.getUint32(16, true)).toBe(length);
      const packet = new Uint8Array(body.buffer, body.byteOffset + 20, length);
      // IPv4: 20 bytes, its checksum good, TCP inside, addresses of the segment.
      const ip = packet.subarray(0, 20);
      expect(ip[0]).toBe(0x45);
      expect(internetChecksum(ip)).toBe(0);
      expect(new DataView(ip.buffer, ip.byteOffset).getUint16(2)).toBe(length);
      const src = new DataView(ip.buffer, ip.byteOffset).getUint32(12);
      const dst = new DataView(ip.buffer, ip.byteOffset).getUint32(16);
      const tcp = packet.subarray(20);
      expect(verifyTcpChecksum(src, dst, tcp)).toBe(segment.fate !== 'corrupted');
      const decoded = decodeSegment(tcp);
      if (!decoded.ok) throw new Error(decoded.error.code);
      expect({
        src: decoded.value.srcPort,
        dst: decoded.value.dstPort,
        flags: formatFlags(decoded.value.flags),
        seq: decoded.value.seq,
        ack: decoded.value.ack,
        window: decoded.value.window,
        len: decoded.value.payload.length,
        options: decoded.value.options,
      }).toEqual({
        src: segment.src.port,
        dst: segment.dst.port,
        flags: segment.flags,
        seq: segment.seq,
        ack: segment.ack,
        window: segment.window,
        len: segment.len,
        options: segment.options,
      });
      const comment = options(body, 20 + ((length + 3) & ~3)).get(1);
      const said = comment === undefined ? undefined : new TextDecoder().decode(comment);
      if (segment.fate === 'delivered') expect(said).toBeUndefined();
      if (segment.fate === 'dropped') expect(said).toBe('dropped by the link: fault f1');
      if (segment.fate === 'corrupted') expect(said).toMatch(/^corrupted on the link: fault f2/);
    });
  });

  it('is the same file for the same trace, byte for byte', () => {
    expect(session().file).toEqual(session().file);
  });

  it('reads cleanly in tshark, which agrees on every packet and on the retransmission', () => {
    const { segments, file } = session();
    const dir = mkdtempSync(join(tmpdir(), 'tcplab-pcapng-'));
    try {
      const path = join(dir, 'session.pcapng');
      writeFileSync(path, file);
      const fields = ['frame.comment', 'tcp.flags.str', 'tcp.len', 'tcp.checksum.status'];
      const tshark = spawnSync(
        'tshark',
        [
          ...['-r', path, '-n', '-o', 'tcp.check_checksum:TRUE'],
          ...['-o', 'tcp.relative_sequence_numbers:FALSE'],
          ...['-T', 'fields', '-E', 'separator=|', '-e', 'tcp.seq', '-e', 'tcp.ack'],
          ...fields.flatMap((f) => ['-e', f]),
          ...['-e', 'tcp.analysis.retransmission'],
        ],
        { encoding: 'utf8' },
      );
      if (tshark.error !== undefined) {
        throw new Error(`tshark could not run (apt-get install tshark): ${tshark.error.message}`);
      }
      // Nothing on stderr but tshark's notice that it runs as root (as in CI's containers).
      const complaints = tshark.stderr
        .split('\n')
        .filter((line) => line !== '' && !line.startsWith('Running as user "root"'));
      expect(complaints).toEqual([]);
      expect(tshark.status).toBe(0);
      const out = tshark.stdout;
      const rows = out
        .trimEnd()
        .split('\n')
        .map((line) => line.split('|'));
      expect(rows).toHaveLength(segments.length);
      rows.forEach(([seq, ack, comment, , len, checksum, retransmission], i) => {
        const segment = segments[i]!;
        expect(Number(seq)).toBe(segment.seq);
        if (segment.flags.includes('.')) expect(Number(ack)).toBe(segment.ack);
        expect(Number(len)).toBe(segment.len);
        // Wireshark's checksum status: 1 good, 0 bad.
        expect(checksum).toBe(segment.fate === 'corrupted' ? '0' : '1');
        expect(comment === '').toBe(segment.fate === 'delivered');
        // The dropped data segment is sent again: tshark names that a retransmission.
        const resent = segments
          .slice(0, i)
          .some((s) => s.len > 0 && s.seq === segment.seq && s.src.port === segment.src.port);
        expect(retransmission === '1', `packet ${i + 1}`).toBe(resent);
      });
      expect(rows.some((row) => row[6] === '1')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
