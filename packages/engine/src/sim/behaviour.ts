/**
 * The engine's behaviour version. A session's command log replays to its trace only on an
 * engine that behaves exactly as the one that wrote it (same seed, same commands, same trace,
 * byte for byte). Raise this number in the change that makes any command log replay to another
 * trace (a different retransmission timer, a new default option, a fixed bug that changes
 * segments), so that the service never replays an older log with it: a session written by
 * another version is continued only from a snapshot at its last command, or served read-only.
 */
export const ENGINE_BEHAVIOUR = 1;
