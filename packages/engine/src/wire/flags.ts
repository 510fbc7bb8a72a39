/** The TCP control bits (RFC 9293 §3.1; ECE and CWR from RFC 3168) and their tcpdump names. */

export const Flag = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

export type FlagName = keyof typeof Flag;

/** tcpdump's letters, in tcpdump's order; ACK is written as '.' after the others. */
const LETTERS: [number, string][] = [
  [Flag.SYN, 'S'],
  [Flag.FIN, 'F'],
  [Flag.PSH, 'P'],
  [Flag.RST, 'R'],
  [Flag.URG, 'U'],
  [Flag.ECE, 'E'],
  [Flag.CWR, 'W'],
];

/** tcpdump's flags field: 'S', 'S.', '.', 'F.', 'P.', 'R', 'R.'. */
export function formatFlags(flags: number): string {
  return (FLAG_TEXTS[flags & 0xff] ??= flagText(flags & 0xff));
}

/** The 256 flag combinations, each spelled once when first seen. */
const FLAG_TEXTS: (string | undefined)[] = [];

function flagText(flags: number): string {
  let text = '';
  for (const [bit, letter] of LETTERS) if (flags & bit) text += letter;
  if (flags & Flag.ACK) text += '.';
  return text === '' ? 'none' : text;
}

/** Parses tcpdump's flags field back to bits; undefined for anything else. */
export function parseFlags(text: string): number | undefined {
  if (text === 'none') return 0;
  let flags = 0;
  for (const char of text) {
    if (char === '.') {
      flags |= Flag.ACK;
      continue;
    }
    const entry = LETTERS.find(([, letter]) => letter === char);
    if (entry === undefined || flags & entry[0]) return undefined;
    flags |= entry[0];
  }
  return flags;
}

export function hasFlag(flags: number, flag: number): boolean {
  return (flags & flag) !== 0;
}
