/**
 * The presets being played in this page, by session: a preset is a library scenario whose
 * steps the instructor runs one at a time ("next"), with its notes read out as they come.
 */
import type { ScenarioPlayer } from '@tcplab/client/scenarios';

const players = new Map<string, ScenarioPlayer>();

export function keepPlayer(player: ScenarioPlayer): void {
  players.set(player.session.id, player);
}

export function playerOf(sessionId: string): ScenarioPlayer | undefined {
  return players.get(sessionId);
}
