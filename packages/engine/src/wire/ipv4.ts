/** IPv4 addresses as dotted-quad text and as unsigned 32-bit numbers. */
import { err, ok, type Result } from './result.js';

export interface Ipv4Error {
  code: 'BAD_IPV4_ADDRESS';
  input: string;
}

/** Parses "10.0.0.1" to 0x0a000001; refuses anything but four decimal octets. */
export function parseIpv4(text: string): Result<number, Ipv4Error> {
  const parts = text.split('.');
  if (parts.length !== 4) return err({ code: 'BAD_IPV4_ADDRESS', input: text });
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) {
      return err({ code: 'BAD_IPV4_ADDRESS', input: text });
    }
    value = value * 256 + Number(part);
  }
  return ok(value);
}

export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join('.');
}
