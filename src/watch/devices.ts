/**
 * Capture devices: the list libpcap offers (through cap), tcpdump -D's lines for it, and the default interface.
 *
 * cap passes on pcap_findalldevs' names, descriptions and order, but of the flags only PCAP_IF_LOOPBACK. The
 * rest of what tcpdump -D shows ("Up, Running", "Connected", "Wireless") is read from /sys/class/net the way
 * libpcap's pcap-linux.c get_if_flags() finds it: IFF_UP from `flags`, IFF_RUNNING from `operstate`, wireless from `wireless/` or
 * `phy80211`, and the link state from the carrier when the driver reports one (ethtool's get_link).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CapDevice } from './native.js';

/** Reads /sys/class/net (or a fake tree in tests). */
export interface SysNet {
  /** The trimmed contents of /sys/class/net/<iface>/<file>, undefined when unreadable. */
  read(iface: string, file: string): string | undefined;
  /** Whether /sys/class/net/<iface>/<file> exists ('' for the interface itself). */
  exists(iface: string, file: string): boolean;
}

/** The real /sys/class/net. */
export const SYS_NET: SysNet = {
  read(iface, file) {
    try {
      return readFileSync(join('/sys/class/net', iface, file), 'utf8').trim();
    } catch {
      return undefined;
    }
  },
  exists(iface, file) {
    return existsSync(join('/sys/class/net', iface, file));
  },
};

/** pcap's PCAP_IF_CONNECTION_STATUS values. */
export type LinkStatus = 'unknown' | 'connected' | 'disconnected' | 'n/a';

/** What tcpdump -D shows about one device. */
export interface DeviceFlags {
  up: boolean;
  running: boolean;
  loopback: boolean;
  wireless: boolean;
  status: LinkStatus;
}

// <linux/if.h>
const IFF_UP = 0x1;
const IFF_LOOPBACK = 0x8;

/** Devices libpcap offers that are not network interfaces, with the flags libpcap gives them. */
const PSEUDO: Array<[RegExp, Partial<DeviceFlags>]> = [
  [/^any$/, { up: true, running: true }],
  [/^bluetooth(-monitor|\d+)$/, { wireless: true }],
];

/** Returns the flags tcpdump -D prints for `dev`. */
export function deviceFlags(dev: CapDevice, sys: SysNet = SYS_NET): DeviceFlags {
  const none: DeviceFlags = { up: false, running: false, loopback: false, wireless: false, status: 'n/a' };
  if (!sys.exists(dev.name, '')) {
    const pseudo = PSEUDO.find(([re]) => re.test(dev.name));
    return { ...none, ...(pseudo?.[1] ?? {}), loopback: dev.flags === 'PCAP_IF_LOOPBACK' };
  }
  const ifflags = parseInt(sys.read(dev.name, 'flags') ?? '0', 16) || 0;
  const loopback = dev.flags === 'PCAP_IF_LOOPBACK' || (ifflags & IFF_LOOPBACK) !== 0;
  const flags: DeviceFlags = {
    up: (ifflags & IFF_UP) !== 0,
    // SIOCGIFFLAGS adds IFF_RUNNING from the operational state (dev_get_flags: RFC 2863 "up", or "unknown"
    // for drivers that do not track it, such as loopback); sysfs `flags` holds only the administrative flags.
    running: (ifflags & IFF_UP) !== 0 && ['up', 'unknown'].includes(sys.read(dev.name, 'operstate') ?? ''),
    loopback,
    wireless: sys.exists(dev.name, 'wireless') || sys.exists(dev.name, 'phy80211'),
    status: 'n/a',
  };
  // Loopback has no link to speak of; other interfaces have one when the driver reports it (ethtool's
  // get_link: physical NICs, veth/vlan/macvlan (their own iflink differs), bridges, bonds, tun/tap). Drivers
  // without it (ifb, dummy, tunnels) are "not applicable", which tcpdump does not print.
  if (!loopback && hasLinkState(dev.name, sys)) {
    // carrier is unreadable (EINVAL) while the interface is down: no carrier then.
    flags.status = sys.read(dev.name, 'carrier') === '1' ? 'connected' : 'disconnected';
  }
  return flags;
}

function hasLinkState(iface: string, sys: SysNet): boolean {
  if (sys.exists(iface, 'device')) return true;
  const iflink = sys.read(iface, 'iflink');
  if (iflink !== undefined && iflink !== sys.read(iface, 'ifindex')) return true;
  return ['bridge', 'bonding', 'tun_flags'].some((f) => sys.exists(iface, f));
}

/** Formats one tcpdump -D line: "1.eth0 [Up, Running, Connected]" (tcpdump.c show_devices_and_exit). */
export function deviceLine(index: number, dev: CapDevice, flags: DeviceFlags): string {
  let line = `${index}.${dev.name}`;
  if (dev.description !== undefined) line += ` (${dev.description})`;
  const words = [
    flags.up && 'Up',
    flags.running && 'Running',
    flags.loopback && 'Loopback',
    flags.wireless && 'Wireless',
  ].filter((w): w is string => typeof w === 'string');
  // pcap's status bits are 0 for "unknown": with no other bit set there is nothing to print at all.
  if (words.length === 0 && flags.status === 'unknown') return line;
  let text = words.length > 0 ? words.join(', ') : 'none';
  const status = flags.wireless
    ? {
        unknown: ', Association status unknown',
        connected: ', Associated',
        disconnected: ', Not associated',
        'n/a': '',
      }
    : { unknown: ', Connection status unknown', connected: ', Connected', disconnected: ', Disconnected', 'n/a': '' };
  text += status[flags.status];
  return `${line} [${text}]`;
}

/** Returns tcpdump -D's lines for `devs`, numbered from 1 in libpcap's order. */
export function deviceLines(devs: CapDevice[], sys: SysNet = SYS_NET): string[] {
  return devs.map((dev, i) => deviceLine(i + 1, dev, deviceFlags(dev, sys)));
}

/**
 * Returns the interface tcpdump would capture on without -i: the first device in libpcap's order (which puts
 * interfaces that are up and running first) that is up and not loopback; the first device if none is.
 */
export function defaultInterface(devs: CapDevice[], sys: SysNet = SYS_NET): string | undefined {
  const pick = devs.find((d) => {
    const f = deviceFlags(d, sys);
    return f.up && !f.loopback;
  });
  return (pick ?? devs[0])?.name;
}

/** True when `name` is something libpcap can open: a listed device or an existing interface. */
export function isKnownDevice(name: string, devs: CapDevice[], sys: SysNet = SYS_NET): boolean {
  if (name === '' || name.includes('/')) return false;
  return devs.some((d) => d.name === name) || sys.exists(name, '');
}
