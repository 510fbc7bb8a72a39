/**
 * Colours: the Okabe-Ito palette, told apart by readers with any common colour-vision
 * deficiency. Nothing is said by colour alone: every state, mark and endpoint also has its name.
 */
export const ENDPOINT_COLOURS = [
  '#0072B2',
  '#D55E00',
  '#009E73',
  '#CC79A7',
  '#E69F00',
  '#56B4E9',
  '#000000',
];

export function endpointColour(index: number): string {
  return ENDPOINT_COLOURS[index % ENDPOINT_COLOURS.length] ?? '#000000';
}

/** The marks the ladder puts on a segment the engine labelled, each a word as well as a colour. */
export const LABEL_MARKS: Record<string, { text: string; colour: string }> = {
  retransmission: { text: 'retransmission', colour: '#D55E00' },
  'fast-retransmission': { text: 'fast retransmission', colour: '#D55E00' },
  'duplicate-ack': { text: 'dup ACK', colour: '#CC79A7' },
  'window-update': { text: 'window update', colour: '#009E73' },
  'window-probe': { text: 'window probe', colour: '#0072B2' },
  'keep-alive': { text: 'keep-alive', colour: '#0072B2' },
  'challenge-ack': { text: 'challenge ACK', colour: '#E69F00' },
  'loss-probe': { text: 'loss probe', colour: '#D55E00' },
};

export const LOST_COLOUR = '#D55E00';
export const INK = '#1b1b1b';
/** The page's background, behind the ladder's labels so that no line crosses their text. */
export const PAPER = 'rgba(255, 255, 255, 0.85)';
export const FAINT = '#8a8a8a';
