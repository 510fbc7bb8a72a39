/** The eleven states of RFC 9293 §3.3.2 (Figure 5), named as the RFC names them. */

export type TcpState =
  | 'CLOSED'
  | 'LISTEN'
  | 'SYN-SENT'
  | 'SYN-RECEIVED'
  | 'ESTABLISHED'
  | 'FIN-WAIT-1'
  | 'FIN-WAIT-2'
  | 'CLOSE-WAIT'
  | 'CLOSING'
  | 'LAST-ACK'
  | 'TIME-WAIT';

export const TCP_STATES: readonly TcpState[] = [
  'CLOSED',
  'LISTEN',
  'SYN-SENT',
  'SYN-RECEIVED',
  'ESTABLISHED',
  'FIN-WAIT-1',
  'FIN-WAIT-2',
  'CLOSE-WAIT',
  'CLOSING',
  'LAST-ACK',
  'TIME-WAIT',
];

/**
 * States in which our data may still be (re)sent and acknowledged: after the handshake, until
 * our FIN is acknowledged.
 */
export function carriesOurData(state: TcpState): boolean {
  return (
    state === 'ESTABLISHED' ||
    state === 'CLOSE-WAIT' ||
    state === 'FIN-WAIT-1' ||
    state === 'CLOSING' ||
    state === 'LAST-ACK'
  );
}

/** States in which the peer's data is still accepted (RFC 9293 §3.10.7.4, seventh step). */
export function canReceiveData(state: TcpState): boolean {
  return state === 'ESTABLISHED' || state === 'FIN-WAIT-1' || state === 'FIN-WAIT-2';
}
