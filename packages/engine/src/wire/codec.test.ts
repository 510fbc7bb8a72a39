import { describe, expect, it } from 'vitest';
import { internetChecksum, tcpChecksum, verifyTcpChecksum } from './checksum.js';
import { Flag, formatFlags, parseFlags } from './flags.js';
import { formatIpv4, parseIpv4 } from './ipv4.js';
import {
  decodeOptions,
  encodedOptionsLength,
  encodeOptions,
  formatOptions,
  type TcpOptions,
} from './options.js';
import { decodeSegment, encodeSegment, type TcpSegment } from './segment.js';
import { seq } from './seq.js';

const addresses = { src: 0x0a000001, dst: 0x0a000002 };

function segment(overrides: Partial<TcpSegment> = {}): TcpSegment {
  return {
    srcPort: 49152,
    dstPort: 80,
    seq: seq(1000),
    ack: seq(0),
    flags: Flag.SYN,
    window: 64240,
    urgent: 0,
    options: {},
    payload: new Uint8Array(),
    ...overrides,
  };
}

function encode(s: TcpSegment): Uint8Array {
  const result = encodeSegment(s, addresses);
  if (!result.ok) throw new Error(`encode failed: ${JSON.stringify(result.error)}`);
  return result.value;
}

describe('segment round trips', () => {
  it.each<[string, Partial<TcpSegment>, number]>([
    ['a bare SYN', {}, 20],
    [
      'a Linux SYN',
      { options: { mss: 1460, sackOk: true, ts: { val: 1, ecr: 0 }, wscale: 7 } },
      40,
    ],
    [
      'a SYN-ACK with MSS only',
      { flags: Flag.SYN | Flag.ACK, ack: seq(5001), options: { mss: 536 } },
      24,
    ],
    ['SACK-permitted without timestamps', { options: { sackOk: true } }, 24],
    [
      'timestamps without SACK',
      { flags: Flag.ACK, options: { ts: { val: 0xffff_ffff, ecr: 7 } } },
      32,
    ],
    [
      'data with three SACK blocks and timestamps',
      {
        flags: Flag.ACK | Flag.PSH,
        options: {
          ts: { val: 10, ecr: 20 },
          sack: [
            { left: seq(100), right: seq(200) },
            { left: seq(300), right: seq(400) },
            { left: seq(0xffff_ff00), right: seq(16) },
          ],
        },
        payload: new TextEncoder().encode('hello, tcp'),
      },
      70,
    ],
    [
      'every flag and the extremes',
      { flags: 0xff, window: 65535, urgent: 65535, seq: seq(0xffff_ffff), ack: seq(0xffff_ffff) },
      20,
    ],
    ['an odd-length payload', { flags: Flag.ACK, payload: Uint8Array.from([1, 2, 3]) }, 23],
  ])('%s', (_name, overrides, length) => {
    const original = segment(overrides);
    const bytes = encode(original);
    expect(bytes.length).toBe(length);
    const decoded = decodeSegment(bytes, addresses);
    expect(decoded).toEqual({ ok: true, value: original });
    const options = encodeOptions(original.options);
    expect(options.ok && options.value.length).toBe(encodedOptionsLength(original.options));
  });
});

describe('malformed input is a typed error, never a throw', () => {
  const good = encode(segment({ options: { mss: 1460, wscale: 7 } }));
  const withBytes = (edit: (b: Uint8Array) => void) => {
    const copy = good.slice();
    edit(copy);
    return copy;
  };

  it.each<[string, Uint8Array, object]>([
    ['empty input', new Uint8Array(), { code: 'TRUNCATED', length: 0 }],
    ['19 bytes', good.subarray(0, 19), { code: 'TRUNCATED', length: 19 }],
    [
      'data offset below 5',
      withBytes((b) => (b[12] = 4 << 4)),
      { code: 'BAD_DATA_OFFSET', dataOffset: 4 },
    ],
    [
      'data offset past the end',
      good.subarray(0, 24),
      { code: 'BAD_DATA_OFFSET', dataOffset: 7, length: 24 },
    ],
    [
      'an option of length 1',
      withBytes((b) => (b[21] = 1)),
      { code: 'BAD_OPTION_LENGTH', kind: 2, offset: 0 },
    ],
    [
      'an option running past the header',
      withBytes((b) => (b[21] = 9)),
      { code: 'TRUNCATED_OPTION', kind: 2, offset: 0 },
    ],
    [
      'an MSS option of length 3',
      withBytes((b) => (b[21] = 3)),
      { code: 'BAD_OPTION_LENGTH', kind: 2, offset: 0 },
    ],
  ])('%s', (_name, bytes, error) => {
    const result = decodeSegment(bytes);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject(error);
  });

  it('a flipped bit fails the checksum', () => {
    const corrupted = withBytes((b) => (b[5] = (b[5] ?? 0) ^ 0x10));
    const result = decodeSegment(corrupted, addresses);
    expect(result.ok || result.error.code).toBe('BAD_CHECKSUM');
  });

  it('the wrong addresses fail the checksum', () => {
    const result = decodeSegment(good, { src: addresses.src, dst: addresses.dst + 1 });
    expect(result.ok || result.error.code).toBe('BAD_CHECKSUM');
  });

  it('refuses to encode out-of-range fields and over-long options', () => {
    expect(encodeSegment(segment({ srcPort: 70000 }), addresses)).toEqual({
      ok: false,
      error: { code: 'FIELD_OUT_OF_RANGE', field: 'srcPort', value: 70000 },
    });
    const fourBlocks = [1, 2, 3, 4].map((n) => ({ left: seq(n * 10), right: seq(n * 10 + 5) }));
    expect(encodeOptions({ ts: { val: 1, ecr: 1 }, sack: fourBlocks })).toEqual({
      ok: false,
      error: { code: 'OPTIONS_TOO_LONG', length: 48 },
    });
  });
});

describe('options', () => {
  it('skips unknown options by their length and stops at EOL', () => {
    const bytes = Uint8Array.from([30, 4, 0xaa, 0xbb, 2, 4, 0x05, 0xb4, 0, 3, 3, 7]);
    expect(decodeOptions(bytes)).toEqual({ ok: true, value: { mss: 1460 } });
  });

  it('renders like tcpdump', () => {
    const options: TcpOptions = { mss: 1460, sackOk: true, ts: { val: 1, ecr: 0 }, wscale: 7 };
    expect(formatOptions(options)).toBe('<mss 1460,sackOK,TS val 1 ecr 0,wscale 7>');
    expect(formatOptions({})).toBe('');
  });
});

describe('checksum', () => {
  it('matches the worked example of RFC 1071 §3', () => {
    // 0001 + f203 + f4f5 + f6f7 = 2ddf0, folded ddf2, complemented 220d
    expect(
      internetChecksum(Uint8Array.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7])),
    ).toBe(0x220d);
  });

  it('covers the pseudo-header: the same bytes between other hosts sum differently', () => {
    const bytes = encode(segment());
    expect(verifyTcpChecksum(addresses.src, addresses.dst, bytes)).toBe(true);
    expect(verifyTcpChecksum(addresses.dst, addresses.src, bytes)).toBe(true); // sum is symmetric
    expect(verifyTcpChecksum(addresses.src, addresses.dst + 1, bytes)).toBe(false);
    expect(tcpChecksum(1, 2, new Uint8Array(20))).not.toBe(tcpChecksum(1, 3, new Uint8Array(20)));
  });
});

describe('flags', () => {
  it.each([
    [Flag.SYN, 'S'],
    [Flag.SYN | Flag.ACK, 'S.'],
    [Flag.ACK, '.'],
    [Flag.FIN | Flag.ACK, 'F.'],
    [Flag.PSH | Flag.ACK, 'P.'],
    [Flag.RST, 'R'],
    [Flag.RST | Flag.ACK, 'R.'],
    [Flag.FIN | Flag.PSH | Flag.ACK, 'FP.'],
    [0, 'none'],
  ])('%i is %s and back', (bits, text) => {
    expect(formatFlags(bits)).toBe(text);
    expect(parseFlags(text)).toBe(bits);
  });

  it('refuses unknown letters and repeats', () => {
    expect(parseFlags('SX')).toBeUndefined();
    expect(parseFlags('SS')).toBeUndefined();
  });
});

describe('ipv4', () => {
  it.each(['10.0.0.1', '0.0.0.0', '255.255.255.255', '192.168.1.20'])('%s round trips', (text) => {
    const parsed = parseIpv4(text);
    expect(parsed.ok && formatIpv4(parsed.value)).toBe(text);
  });

  it.each(['10.0.0', '10.0.0.256', '10.0.0.01', 'a.b.c.d', '10..0.1', ' 10.0.0.1'])(
    '%s is refused',
    (text) => {
      expect(parseIpv4(text)).toEqual({
        ok: false,
        error: { code: 'BAD_IPV4_ADDRESS', input: text },
      });
    },
  );
});
