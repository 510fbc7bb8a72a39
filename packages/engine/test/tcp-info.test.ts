// Linux's tcp_info as the engine reports it: names, units, and the counts a lab compares with
// `ss -ti` on a real host.
import { describe, expect, it } from 'vitest';
import { established, ISS, PEER_ISS } from './lone.js';

const SND = ISS + 1;
const RCV = PEER_ISS + 1;

describe('tcp_info', () => {
  it('reports segments in flight, the RTT in µs, the delivery rate in bytes/s', () => {
    const t = established({ nagle: false });
    t.sim.sendData(t.id, new Uint8Array(2920));
    const before = t.sim.connection(t.id).tcpInfo(t.sim.nowUs);
    expect(before).toMatchObject({
      tcpi_state: 1,
      tcpi_ca_state: 0,
      tcpi_unacked: 2,
      tcpi_snd_mss: 1460,
      tcpi_snd_cwnd: 3,
      tcpi_snd_ssthresh: 0x7fffffff,
      tcpi_data_segs_out: 2,
      tcpi_bytes_sent: 2920,
      tcpi_min_rtt: 0, // the handshake's, on a link without delay
    });
    t.wait(10);
    t.send({ flags: '.', seq: RCV, ack: SND + 2920 });
    const after = t.sim.connection(t.id).tcpInfo(t.sim.nowUs);
    expect(after).toMatchObject({
      tcpi_unacked: 0,
      tcpi_bytes_acked: 2920,
      // 2920 bytes acknowledged 10 ms after the first of them left.
      tcpi_delivery_rate: 292_000,
      tcpi_last_ack_recv: 0,
      tcpi_last_data_sent: 10,
    });
  });
});
