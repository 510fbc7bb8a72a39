/** The `tcplab` command as a user runs it: a real process, its output and its exit code. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('./bin.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tcplab-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tcplab(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, TCPLAB_KEY: '' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const FAILING = `name: wrong
title: A wrong expectation
description: d
link: { delayMs: 10 }
endpoints:
  client: { address: 10.0.0.1, port: 49152 }
  server: { address: 10.0.0.2, port: 80 }
steps:
  - listen: server
  - connect: { endpoint: client, to: server }
  - run: 1000
expect:
  segments:
    - client > server: S *
    - server > client: R. *
  endpoints:
    client: { state: CLOSED }
`;

// Each case starts node with tsx (the CLI from source), which takes most of a second.
describe('tcplab', { timeout: 30_000 }, () => {
  it('prints its help, and each command its own', () => {
    const top = tcplab('--help');
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('Usage: tcplab <command> [options]');
    for (const command of ['run', 'scenarios', 'ladder', 'pcap']) {
      const help = tcplab(command, '--help');
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`tcplab ${command}`);
    }
    expect(tcplab().code).toBe(2);
  });

  it('runs library scenarios by name: PASS lines, a summary, exit 0', () => {
    const { code, stdout } = tcplab('run', 'handshake', 'teardown');
    expect(stdout.split('\n')).toEqual([
      'PASS  handshake  Three-way handshake (8 checks, 30 ms)',
      'PASS  teardown  Four-way teardown (12 checks, 60120 ms)',
      '',
      '2 passed, 0 failed',
      '',
    ]);
    expect(code).toBe(0);
  });

  it('exits 1 on a failed expectation, saying what was expected and seen, and the segments', () => {
    const { code, stdout } = tcplab('run', file('wrong.yaml', FAILING));
    expect(code).toBe(1);
    expect(stdout).toContain(
      `FAIL  ${join(dir, 'wrong.yaml')}  A wrong expectation (2 checks, 30 ms)`,
    );
    expect(stdout).toContain(
      '      expect: client state\n        expected: CLOSED\n        saw:      ESTABLISHED',
    );
    expect(stdout).toContain(
      '      expect: segment 2\n        expected: server > client: R. *\n        saw:      @10 server > client: S. 0:0(0) ack 1 win 65535 <mss 1460>',
    );
    expect(stdout).toContain('        @20 client > server: . ack 1 win 65535');
  });

  it('plays packetdrill scripts, reporting every line: pass, fail with what was expected and sent', () => {
    const scripts = fileURLToPath(new URL('../../packetdrill/', import.meta.url));
    const good = tcplab('run', join(scripts, 'rst-refused.pkt'));
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('packetdrill (6 pass)');
    expect(good.stdout).toContain(
      '  6  pass         +.02 < R. 0:0(0) ack 1 win 0\n  7  pass         +0 getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNREFUSED], [4]) = 0',
    );
    const wrong = file(
      'wrong.pkt',
      readFileSync(join(scripts, 'rst-refused.pkt'), 'utf8').replace(
        '[ECONNREFUSED]',
        '[ECONNRESET]',
      ),
    );
    const bad = tcplab('run', wrong);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`FAIL  ${wrong}  packetdrill (5 pass, 1 fail)`);
    expect(bad.stdout).toContain(
      '  7  fail         +0 getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNRESET], [4]) = 0\n' +
        `${' '.repeat(18)}SO_ERROR is ECONNREFUSED\n` +
        `${' '.repeat(18)}expected: [ECONNRESET]\n` +
        `${' '.repeat(18)}saw:      [ECONNREFUSED]`,
    );
  });

  it('prints the results as JSON with --json', () => {
    const { code, stdout } = tcplab('run', '--json', 'connection-refused');
    expect(code).toBe(0);
    const [result] = JSON.parse(stdout) as { name: string; passed: boolean; where: string }[];
    expect(result).toMatchObject({ name: 'connection-refused', passed: true, where: 'in-process' });
  });

  it('refuses a broken file before running anything, naming its line (exit 2)', () => {
    const broken = file('broken.yaml', FAILING.replace('  - listen: server', '  - listen: sever'));
    const { code, stdout, stderr } = tcplab('run', 'handshake', broken);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`${broken}:9: steps/0/listen: no endpoint named sever\n`);
  });

  it('says so when a name is neither a file nor a library scenario, or an option is unknown', () => {
    const missing = tcplab('run', 'handshak');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      'handshak: not a scenario file (.yaml, .yml, .json), a packetdrill script (.pkt) nor a scenario of the library',
    );
    expect(tcplab('run', '--fast', 'handshake').code).toBe(2);
    expect(tcplab('launch').stderr).toContain('unknown command "launch"');
  });

  it('says so when the service does not answer', () => {
    const { code, stderr } = tcplab('run', 'handshake', '--server', 'http://127.0.0.1:9');
    expect(code).toBe(2);
    expect(stderr).toContain('no answer from the service');
  });

  it('lists and shows the library', () => {
    const list = tcplab('scenarios', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(
      /^handshake +Three-way handshake {2}\[connection setup, states\]$/m,
    );
    expect(list.stdout.trim().split('\n').length).toBeGreaterThanOrEqual(26);
    const show = tcplab('scenarios', 'show', 'lost-final-ack');
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('TIME-WAIT and the lost final ACK\n\nWhy TIME-WAIT exists.');
    expect(show.stdout).toContain('name: lost-final-ack\n');
    expect(tcplab('scenarios', 'show', 'nope').code).toBe(2);
  });

  it('draws a ladder', () => {
    const { code, stdout } = tcplab('ladder', 'connection-refused');
    expect(code).toBe(0);
    expect(stdout).toContain('│── S 0:0(0) win 65535 <mss 1460> ──▶│');
    expect(stdout).toContain('│◀───── R. 0:0(0) ack 1 win 0 ───────│');
  });

  it('writes a pcapng capture', () => {
    const out = join(dir, 'handshake.pcapng');
    const { code, stderr } = tcplab('pcap', 'handshake', '-o', out);
    expect(code).toBe(0);
    expect(stderr).toMatch(/^wrote .*handshake\.pcapng: 3 segments, \d+ bytes\n$/);
    // A pcapng file starts with a Section Header Block.
    expect(readFileSync(out).readUInt32LE(0)).toBe(0x0a0d0d0a);
    expect(tcplab('pcap', 'handshake').code).toBe(2);
  });
});
