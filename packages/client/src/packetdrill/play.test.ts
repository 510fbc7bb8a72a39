import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { localTarget } from '../scenario/local-target.js';
import { runPacketdrill } from './play.js';

const SCRIPTS = fileURLToPath(new URL('../../packetdrill/', import.meta.url));
const scripts = readdirSync(SCRIPTS).filter((f) => f.endsWith('.pkt'));
const play = (script: string) => runPacketdrill(script, localTarget());
const verdicts = async (script: string) =>
  (await play(script)).lines.map((l) => [l.line, l.status, l.message ?? '']);

const LISTEN = `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 32792 <mss 1460,nop,wscale 7>
+0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>
+.01 < . 1:1(0) ack 1 win 257
+0 accept(3, ..., ...) = 4
`;

describe('packetdrill scripts', () => {
  it.each(scripts)('%s: every line passes', async (file) => {
    const result = await play(readFileSync(join(SCRIPTS, file), 'utf8'));
    expect(result.lines.filter((l) => l.status !== 'pass')).toEqual([]);
    expect(result.passed).toBe(true);
  });

  it('a deliberately wrong script fails at the wrong line, says what was expected and sent, and runs no further', async () => {
    const script = readFileSync(join(SCRIPTS, 'fast-retransmit.pkt'), 'utf8').replace(
      '   +0 > . 1:1461(1460) ack 1',
      '   +0 > . 1461:2921(1460) ack 1',
    );
    const result = await play(script);
    expect(result.passed).toBe(false);
    const failed = result.lines.find((l) => l.status === 'fail');
    expect(failed).toEqual({
      line: 20,
      text: '+0 > . 1461:2921(1460) ack 1',
      status: 'fail',
      message: 'sequence number 1, expected 1461',
      expected: '> . 1461:2921(1460) ack 1',
      actual: '> . 1:1461(1460) ack 1 win 1024 at 0.300000 s',
    });
    expect(result.lines.filter((l) => l.line > 20).map((l) => l.status)).toEqual(
      Array.from({ length: 5 }, () => 'not-run'),
    );
    expect(result.lines.filter((l) => l.line < 20).every((l) => l.status === 'pass')).toBe(true);
  });

  it('checks the time of a segment within the tolerance', async () => {
    const early = `${LISTEN}+0 write(4, ..., 10) = 10\n+.05 > P. 1:11(10) ack 1\n`;
    expect((await verdicts(early)).at(-1)).toEqual([
      9,
      'fail',
      'timing: expected at 0.060000 s (within 0.053750~0.066250), sent at 0.010000 s',
    ]);
    const lax = `--tolerance_usecs=60000\n${early}`;
    expect((await play(lax)).passed).toBe(true);
  });

  it('leaves a segment the script does not name to the next > line, which fails on it (as packetdrill)', async () => {
    const unnamed = await play(`${LISTEN}+0 write(4, ..., 10) = 10\n+.1 close(4) = 0\n`);
    expect(unnamed.passed).toBe(true);
    const result = await play(
      `${LISTEN}+0 write(4, ..., 10) = 10\n+.1 close(4) = 0\n+0 > F. 11:11(0) ack 1\n`,
    );
    expect(result.lines.at(-1)).toMatchObject({
      line: 10,
      status: 'fail',
      message: 'sequence number 1, expected 11',
      expected: '> F. 11:11(0) ack 1',
      actual: '> P. 1:11(10) ack 1 win 1024 at 0.010000 s',
    });
  });

  it('reads the kernel settings of the shell line, and refuses one it does not model by name', async () => {
    const script = `\`../common/defaults.sh
sysctl -q net.ipv4.tcp_timestamps=0\`
0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 32792 <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>
+0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>
`;
    expect((await play(script)).passed).toBe(true);
    const unknown = await play(`\`sysctl -q net.ipv4.tcp_frobnicate=1\`\n`);
    expect(unknown.lines).toEqual([
      expect.objectContaining({
        line: 1,
        status: 'unsupported',
        message: 'the sysctl net.ipv4.tcp_frobnicate',
      }),
    ]);
  });

  it("evaluates %{ }% assertions over the connection's tcp_info, keeping variables from block to block", async () => {
    const script = `${LISTEN}+0 %{ cwnd = 10; TCP_INFINITE_SSTHRESH = 0x7fffffff }%
+0 %{
assert tcpi_snd_cwnd == cwnd, tcpi_snd_cwnd  # IW10
assert tcpi_snd_ssthresh == TCP_INFINITE_SSTHRESH, tcpi_snd_ssthresh
assert tcpi_ca_state == TCP_CA_Open and tcpi_state == TCP_ESTABLISHED
}%
+0 %{ assert tcpi_snd_cwnd == cwnd + 1, 'cwnd=%d' % tcpi_snd_cwnd }%
+0 write(4, ..., 10) = 10
`;
    const result = await play(script);
    expect(result.lines.slice(-3)).toEqual([
      expect.objectContaining({ line: 9, status: 'pass' }),
      {
        line: 14,
        text: "+0 %{ assert tcpi_snd_cwnd == cwnd + 1, 'cwnd=%d' % tcpi_snd_cwnd }%",
        status: 'fail',
        message: 'assert tcpi_snd_cwnd == cwnd + 1 failed: cwnd=10',
        expected: 'assert tcpi_snd_cwnd == cwnd + 1',
        actual: 'tcpi_snd_cwnd = 10',
      },
      expect.objectContaining({ line: 15, status: 'not-run' }),
    ]);
    const unknown = await play(`${LISTEN}+0 %{ import os }%\n`);
    expect(unknown.lines.at(-1)).toMatchObject({
      status: 'unsupported',
      message: 'python: "import os" is not supported (assert, assignments and print are)',
    });
  });

  it('runs a blocking call in its own thread: later lines play while it waits, and it returns when data comes', async () => {
    const script = `${LISTEN}+0...0.020 read(4, ..., 1000) = 10
+.01 write(4, ..., 5) = 5
+0 > P. 1:6(5) ack 1
+.01 < P. 1:11(10) ack 6 win 257
+0 > . 6:6(0) ack 11
`;
    const result = await play(script);
    expect(result.lines.filter((l) => l.status !== 'pass')).toEqual([]);
    expect(result.passed).toBe(true);
  });

  it('returns the descriptors the script names, as packetdrill maps them', async () => {
    const script = `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 5
+0 bind(5, ..., ...) = 0
+0 listen(5, 1) = 0
+0 < S 0:0(0) win 32792 <mss 1460>
+0 > S. 0:0(0) ack 1 <mss 1460>
+.01 < . 1:1(0) ack 1 win 257
+0 accept(5, ..., ...) = 9
+0 write(9, ..., 10) = 10
+0 > P. 1:11(10) ack 1
`;
    expect((await play(script)).passed).toBe(true);
  });

  it('answers ioctl SIOCINQ with the bytes waiting to be read', async () => {
    const script = `${LISTEN}+0 ioctl(4, SIOCINQ, [0]) = 0
+0 < P. 1:11(10) ack 1 win 257
+0 ioctl(4, SIOCINQ, [10]) = 0
+0 ioctl(4, SIOCINQ, [9]) = 0
`;
    expect((await play(script)).lines.slice(-2)).toEqual([
      expect.objectContaining({ line: 10, status: 'pass' }),
      expect.objectContaining({
        line: 11,
        status: 'fail',
        message: 'SIOCINQ is 10, expected 9',
        actual: '[10]',
      }),
    ]);
  });

  it('leaves TCP_INFO through getsockopt unsupported (the %{ }% blocks read it)', async () => {
    const result = await play(
      `${LISTEN}+0 getsockopt(4, SOL_TCP, TCP_INFO, {tcpi_state=TCP_ESTABLISHED}, [256]) = 0\n`,
    );
    expect(result.lines.at(-1)).toMatchObject({
      status: 'unsupported',
      message: 'getsockopt TCP_INFO',
    });
  });

  it('answers a non-blocking read with nothing to read EAGAIN, and a wrong return value fails', async () => {
    const base = `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 > S 0:0(0) <...>
+.01 < S. 0:0(0) ack 1 win 5792 <mss 1460>
+0 > . 1:1(0) ack 1
`;
    expect(
      (await play(`${base}+0 read(3, ..., 100) = -1 EAGAIN (Resource temporarily unavailable)\n`))
        .passed,
    ).toBe(true);
    expect((await play(`${base}+0 read(3, ..., 100) = 0\n`)).lines.at(-1)).toMatchObject({
      status: 'fail',
      message: 'read() returned -1 EAGAIN',
      expected: '= 0',
      actual: '= -1 EAGAIN',
    });
  });

  it('fails a blocking call that returns at the wrong time, on its own line', async () => {
    const result = await play(
      `${LISTEN}+0...0.050 read(4, ..., 100) = 10\n+.1 < P. 1:11(10) ack 1 win 257\n`,
    );
    expect(result.lines.slice(-2)).toMatchObject([
      {
        line: 8,
        status: 'fail',
        message: 'timing: read() returned at 0.110000 s, expected at 0.060000 s',
      },
      { line: 9, status: 'not-run' },
    ]);
  });

  it('is deterministic: the same script gives the same verdicts and the same end', async () => {
    const script = readFileSync(join(SCRIPTS, 'blocking.pkt'), 'utf8');
    expect(await play(script)).toEqual(await play(script));
  });
});
