export { seq, seqAdd, seqDiff, seqGe, seqGt, seqInWindow, seqLe, seqLt } from './wire/seq.js';
export type { SeqNum } from './wire/seq.js';
