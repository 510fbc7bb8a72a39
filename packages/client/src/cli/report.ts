/** How `tcplab run` reports: a line per scenario, and for a failure what was expected and seen. */
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
