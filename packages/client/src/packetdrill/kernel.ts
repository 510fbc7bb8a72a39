/**
 * The kernel a script configures before it starts: packetdrill's scripts begin with a shell
 * command that runs `../common/defaults.sh` (sysctls every test assumes) and then their own
 * `sysctl` lines, route changes and NIC settings. The player cannot run a shell; it reads
 * those commands instead, and what they set becomes the options of the sockets the script
 * opens. A command or setting it does not model is refused by name.
 */
import type { EndpointOptions } from '@tcplab/contract';
import { LINUX_OPTIONS } from './linux.js';

/** The settings of google/packetdrill's gtests/net/common/defaults.sh. */
const DEFAULTS_SH: Record<string, string> = {
  tcp_rmem: '4096 540000 15728640',
  tcp_wmem: '4096 262144 4194304',
  tcp_timestamps: '1',
  tcp_syn_retries: '5',
  tcp_synack_retries: '5',
  tcp_frto: '2',
  tcp_sack: '1',
  tcp_dsack: '1',
  tcp_fack: '0',
  tcp_reordering: '3',
  tcp_congestion_control: 'cubic',
  tcp_slow_start_after_idle: '0',
  tcp_early_retrans: '4',
  tcp_recovery: '1',
  tcp_tso_win_divisor: '3',
  tcp_ecn: '0',
  tcp_ecn_option: '2',
  tcp_pacing_ss_ratio: '200',
  tcp_pacing_ca_ratio: '120',
  tcp_notsent_lowat: '4294967295',
  tcp_fastopen: '0x70403',
  tcp_fastopen_key: 'a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4',
  tcp_syncookies: '1',
};

/**
 * Settings the player accepts at any value because they change nothing it checks: TSO
 * deferral (tcp_tso_win_divisor; the engine never defers a send to build a bigger packet), TCP
 * Fast Open and syncookies (no script here opens fast or floods), the AccECN option (not
 * negotiated without tcp_ecn=3).
 */
const INERT = new Set([
  'tcp_tso_win_divisor',
  'tcp_ecn_option',
  'tcp_notsent_lowat',
  'tcp_fastopen',
  'tcp_fastopen_key',
  'tcp_syncookies',
]);

/**
 * Settings the engine models at one value only, Linux's default (or defaults.sh's): another
 * value is refused by name, since the behaviour it asks for is not there.
 */
const FIXED: Record<string, string> = {
  tcp_synack_retries: '5',
  tcp_frto: '2',
  tcp_fack: '0',
  tcp_reordering: '3',
  tcp_mtu_probing: '0',
  tcp_base_mss: '1024',
};

/** Settings beyond defaults.sh's that the engine models at any value (socketOptions). */
const MODELLED = new Set(['tcp_min_tso_segs']);

export class KernelUnsupported extends Error {}

/** What the script's shell commands set: sysctls, the route's metrics, the NIC's offloads. */
export class Kernel {
  readonly sysctls = new Map<string, string>();
  /** `ip route change ... advmss N mtu lock M initcwnd K`. */
  route: { advmss?: number; mtu?: number; initcwnd?: number } = {};
  /** `ethtool -K tun0 tso off gso off`: segments leave one MSS at a time. */
  segmentationOffload = true;
  /** `echo N > /sys/module/tcp_cubic/parameters/hystart_detect`. */
  hystartDetect = 3;
  /** `tc qdisc replace dev tun0 root fq`: flows are paced. */
  fq = false;

  /** Runs one shell command block (the text between backquotes). */
  shell(block: string): void {
    const commands = block
      .replace(/\\\n/g, ' ')
      .split(/\n|;/)
      .map((line) => line.replace(/#.*$/, '').trim())
      .filter((line) => line !== '');
    for (const command of commands) this.command(command);
  }

  private command(command: string): void {
    const words = command.split(/\s+/);
    const [program = ''] = words;
    if (/(^|\/)common\/defaults\.sh$/.test(program)) {
      for (const [name, value] of Object.entries(DEFAULTS_SH)) this.sysctl(name, value);
      return;
    }
    if (/^\/tmp\/sysctl_restore_/.test(program)) return; // the harness restores what it set
    if (program === 'sysctl') {
      for (const word of words.slice(1)) {
        if (word.startsWith('-') || word.startsWith('2>') || word === '>' || word === '/dev/null')
          continue;
        this.assignment(word, /^net[./]ipv4[./]/);
      }
      return;
    }
    if (/(^|\/)common\/set_sysctls\.py$/.test(program)) {
      for (const word of words.slice(1)) this.assignment(word, /^\/proc\/sys\/net\/ipv4\//);
      return;
    }
    if (program === 'ip' && words[1] === 'tcp_metrics') return; // no metrics are cached here
    if (program === 'ip' && words[1] === 'route' && words[2] === 'change') {
      this.routeChange(words.slice(3));
      return;
    }
    if (program === 'ethtool' && words[1] === '-K') {
      const settings = words.slice(3);
      for (let i = 0; i + 1 < settings.length; i += 2) {
        if (settings[i] === 'tso' || settings[i] === 'gso')
          this.segmentationOffload = settings[i + 1] === 'on';
        else throw new KernelUnsupported(`ethtool ${settings[i] ?? ''}`);
      }
      return;
    }
    if (program === 'echo' && /\/tcp_cubic\/parameters\/hystart_detect$/.test(command)) {
      this.hystartDetect = Number(words[1]);
      return;
    }
    if (program === 'tc' && words[1] === 'qdisc') {
      // pfifo is what every script assumes; fq paces each flow (the engine's `pacing` option).
      const discipline = words.slice(2).find((w) => w === 'pfifo' || w === 'fq');
      if (words[2] === 'delete' || words[2] === 'del') {
        this.fq = false; // back to the device's default, pfifo here
        return;
      }
      const plain = words.slice(words.indexOf(discipline ?? '') + 1).length === 0;
      if ((discipline === 'pfifo' && !words.includes('limit')) || (discipline === 'fq' && plain)) {
        this.fq = discipline === 'fq';
        return;
      }
      throw new KernelUnsupported(`the ${discipline ?? 'qdisc'} queue discipline (${command})`);
    }
    throw new KernelUnsupported(`the shell command "${command}"`);
  }

  private assignment(word: string, prefix: RegExp): void {
    const m = /^([^=]+)=(.*)$/.exec(word);
    if (m === null || !prefix.test(m[1] ?? '')) {
      throw new KernelUnsupported(`the setting "${word}"`);
    }
    const name = (m[1] ?? '').replace(prefix, '');
    this.sysctl(name, (m[2] ?? '').replace(/^["']|["']$/g, ''));
  }

  private routeChange(words: string[]): void {
    for (let i = 0; i < words.length; i++) {
      const word = words[i];
      const next = () => Number(words[++i]);
      if (word === 'advmss') this.route.advmss = next();
      else if (word === 'initcwnd') this.route.initcwnd = next();
      else if (word === 'mtu') {
        if (words[i + 1] === 'lock') i += 1;
        this.route.mtu = next();
      }
    }
  }

  sysctl(name: string, value: string): void {
    const fixed = FIXED[name];
    if (fixed !== undefined && value !== fixed && value !== DEFAULTS_SH[name]) {
      throw new KernelUnsupported(`net.ipv4.${name}=${value} (modelled: ${fixed})`);
    }
    const known = name in DEFAULTS_SH || INERT.has(name) || MODELLED.has(name);
    if (!known && fixed === undefined) {
      throw new KernelUnsupported(`the sysctl net.ipv4.${name}`);
    }
    this.sysctls.set(name, value);
  }

  private number(name: string): number | undefined {
    const value = this.sysctls.get(name);
    return value === undefined ? undefined : Number(value);
  }

  /** The options a new socket starts with. */
  socketOptions(): EndpointOptions {
    const o: EndpointOptions = { ...LINUX_OPTIONS };
    const rmem = this.sysctls.get('tcp_rmem')?.split(/\s+/).map(Number);
    const wmem = this.sysctls.get('tcp_wmem')?.split(/\s+/).map(Number);
    if (rmem?.[1] !== undefined) o.rcvBuffer = rmem[1];
    if (wmem?.[1] !== undefined) o.sndBuffer = wmem[1];
    // tcp_select_initial_window(): the shift that lets the largest buffer be advertised.
    if (rmem?.[2] !== undefined) o.windowScale = scaleFor(rmem[2]);
    const flag = (name: string) => this.number(name);
    if (flag('tcp_timestamps') !== undefined) o.timestamps = flag('tcp_timestamps') !== 0;
    if (flag('tcp_sack') !== undefined) o.sack = flag('tcp_sack') !== 0;
    const synRetries = flag('tcp_syn_retries');
    if (synRetries !== undefined) o.synRetries = synRetries;
    // tcp_recovery bit 0: RACK; tcp_early_retrans 3 and 4: TLP; tcp_dsack (PRR has no sysctl).
    const recovery = flag('tcp_recovery');
    if (recovery !== undefined) o.rack = (recovery & 1) === 1;
    const earlyRetrans = flag('tcp_early_retrans');
    if (earlyRetrans !== undefined) o.tlp = earlyRetrans >= 3;
    const dsack = flag('tcp_dsack');
    if (dsack !== undefined) o.dsack = dsack !== 0;
    // tcp_slow_start_after_idle: restart after idle and the decay of an unused window.
    const afterIdle = flag('tcp_slow_start_after_idle');
    if (afterIdle !== undefined) o.slowStartAfterIdle = afterIdle !== 0;
    // tcp_ecn: 0 off, 1 ask and accept, 2 accept when asked (Linux's default).
    const ecn = flag('tcp_ecn');
    if (ecn !== undefined) o.ecn = ecn === 1 ? 'on' : ecn === 2 ? 'passive' : 'off';
    const congestion = this.sysctls.get('tcp_congestion_control');
    if (congestion === 'cubic' || congestion === 'reno') o.congestion = congestion;
    if (this.route.advmss !== undefined) o.mss = this.route.advmss;
    if (this.route.initcwnd !== undefined) o.initialWindow = this.route.initcwnd;
    // The fq qdisc paces at the rate tcp_pacing_ss_ratio and tcp_pacing_ca_ratio set; the rate
    // and tcp_min_tso_segs size TSO packets with or without it.
    o.pacing = this.fq;
    const ssRatio = flag('tcp_pacing_ss_ratio');
    const caRatio = flag('tcp_pacing_ca_ratio');
    const minTsoSegs = flag('tcp_min_tso_segs');
    if (ssRatio !== undefined) o.pacingSsRatio = ssRatio;
    if (caRatio !== undefined) o.pacingCaRatio = caRatio;
    if (minTsoSegs !== undefined) o.minTsoSegs = minTsoSegs;
    return o;
  }
}

/** The smallest window scale shift with which `bytes` can be advertised (at most 14). */
function scaleFor(bytes: number): number {
  let shift = 0;
  while (shift < 14 && 65_535 << shift < bytes) shift += 1;
  return shift;
}
