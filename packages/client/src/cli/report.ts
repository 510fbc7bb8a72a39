/** How `tcplab run` reports: a line per scenario, and for a failure what was expected and seen. */
import type { PacketdrillResult } from '../packetdrill/play.js';
import type { ScenarioResult } from '../scenario/run.js';

export function reportScenario(result: ScenarioResult, source: string): string {
  const checks = result.checks.length;
  const failed = result.checks.filter((c) => !c.ok);
  const where = result.where === 'in-process' ? '' : `, session ${result.sessionId}`;
  const head = `${result.passed ? 'PASS' : 'FAIL'}  ${source}  ${result.title} (${checks} check${checks === 1 ? '' : 's'}, ${result.endMs} ms${where})`;
  const lines = [head];
  for (const c of failed) {
    lines.push(
      `      ${c.at}: ${c.what}`,
      `        expected: ${c.expected}`,
      `        saw:      ${c.actual}`,
    );
  }
  if (result.error !== undefined) lines.push(`      stopped at ${result.error}`);
  if (failed.some((c) => c.what.startsWith('segment'))) {
    lines.push('      the segments were:');
    for (const s of result.segments) lines.push(`        @${s.timeMs} ${s.line}`);
  }
  return lines.join('\n');
}

/** A packetdrill script: a line for the script, then every line of it with its verdict. */
export function reportPacketdrill(result: PacketdrillResult, source: string): string {
  const count = (status: string) => result.lines.filter((l) => l.status === status).length;
  const tally = ['pass', 'fail', 'unsupported', 'not-run']
    .filter((status) => count(status) > 0)
    .map((status) => `${count(status)} ${status === 'not-run' ? 'not run' : status}`)
    .join(', ');
  const where = result.where === 'in-process' ? '' : `, session ${result.sessionId}`;
  const lines = [`${result.passed ? 'PASS' : 'FAIL'}  ${source}  packetdrill (${tally}${where})`];
  const width = Math.max(...result.lines.map((l) => String(l.line).length));
  for (const l of result.lines) {
    const status = l.status === 'not-run' ? 'not run' : l.status;
    lines.push(
      `  ${String(l.line).padStart(width)}  ${status.padEnd(11)}  ${l.text.split('\n')[0] ?? ''}`,
    );
    if (l.message !== undefined)
      lines.push(`  ${' '.repeat(width)}  ${''.padEnd(11)}  ${l.message}`);
    if (l.expected !== undefined) {
      lines.push(`  ${' '.repeat(width)}  ${''.padEnd(11)}  expected: ${l.expected}`);
      lines.push(`  ${' '.repeat(width)}  ${''.padEnd(11)}  saw:      ${l.actual ?? ''}`);
    }
  }
  return lines.join('\n');
}
