/**
 * @tcplab/client/packetdrill: google/packetdrill scripts played against one simulated
 * endpoint with Linux's defaults, on any LabTarget, with a verdict for every line.
 */
export {
  DEFAULT_TOLERANCE_PERCENT,
  DEFAULT_TOLERANCE_US,
  LINUX_OPTIONS,
  LOCAL_ADDRESS,
  REMOTE_ADDRESS,
} from './linux.js';
export {
  parsePacketdrill,
  type ScriptCall,
  type ScriptEvent,
  type ScriptOption,
  type ScriptSegment,
  type ScriptTime,
} from './parse.js';
export {
  PacketdrillPlayer,
  runPacketdrill,
  type LineResult,
  type LineStatus,
  type PacketdrillResult,
} from './play.js';
