import { describe, expect, it } from 'vitest';
import { defaultInterface, deviceLine, deviceLines, isKnownDevice, type SysNet } from '../../src/watch/devices';
import type { CapDevice } from '../../src/watch/native';

/** A fake /sys/class/net: interface → file → contents ('' marks a directory or link). */
function fakeSys(tree: Record<string, Record<string, string>>): SysNet {
  return {
    read: (iface, file) => tree[iface]?.[file],
    exists: (iface, file) => (file === '' ? iface in tree : tree[iface]?.[file] !== undefined),
  };
}

const SYS = fakeSys({
  eth0: { flags: '0x1003', operstate: 'up', carrier: '1', device: '', ifindex: '2', iflink: '2' },
  lo: { flags: '0x9', operstate: 'unknown', ifindex: '1', iflink: '1' },
  ifb0: { flags: '0x82', operstate: 'down', ifindex: '3', iflink: '3' },
  veth0: { flags: '0x1003', operstate: 'lowerlayerdown', carrier: '0', ifindex: '7', iflink: '6' },
  veth1: { flags: '0x1002', operstate: 'down', ifindex: '9', iflink: '8' },
  wlan0: { flags: '0x1003', operstate: 'up', carrier: '1', device: '', wireless: '', ifindex: '4', iflink: '4' },
});

const DEVS: CapDevice[] = [
  { name: 'eth0', addresses: [] },
  { name: 'any', description: 'Pseudo-device that captures on all interfaces', addresses: [] },
  { name: 'lo', addresses: [], flags: 'PCAP_IF_LOOPBACK' },
  { name: 'ifb0', addresses: [] },
  { name: 'veth0', addresses: [] },
  { name: 'veth1', addresses: [] },
  { name: 'wlan0', addresses: [] },
  { name: 'bluetooth-monitor', description: 'Bluetooth Linux Monitor', addresses: [] },
  { name: 'nflog', description: 'Linux netfilter log (NFLOG) interface', addresses: [] },
];

describe('deviceLines', () => {
  it("prints tcpdump -D's lines", () => {
    expect(deviceLines(DEVS, SYS)).toEqual([
      '1.eth0 [Up, Running, Connected]',
      '2.any (Pseudo-device that captures on all interfaces) [Up, Running]',
      '3.lo [Up, Running, Loopback]',
      '4.ifb0 [none]',
      '5.veth0 [Up, Disconnected]',
      '6.veth1 [none, Disconnected]',
      '7.wlan0 [Up, Running, Wireless, Associated]',
      '8.bluetooth-monitor (Bluetooth Linux Monitor) [Wireless]',
      '9.nflog (Linux netfilter log (NFLOG) interface) [none]',
    ]);
  });

  it('prints no brackets when pcap would set no flag at all', () => {
    const flags = { up: false, running: false, loopback: false, wireless: false, status: 'unknown' as const };
    expect(deviceLine(3, { name: 'x', addresses: [] }, flags)).toBe('3.x');
    expect(deviceLine(3, { name: 'x', addresses: [] }, { ...flags, up: true })).toBe(
      '3.x [Up, Connection status unknown]',
    );
  });
});

describe('defaultInterface', () => {
  it('picks the first interface that is up and not loopback, in libpcap order', () => {
    expect(defaultInterface(DEVS, SYS)).toBe('eth0');
    expect(defaultInterface(DEVS.slice(2), SYS)).toBe('veth0');
    expect(defaultInterface([DEVS[2] as CapDevice, DEVS[3] as CapDevice], SYS)).toBe('lo');
    expect(defaultInterface([], SYS)).toBeUndefined();
  });
});

describe('isKnownDevice', () => {
  it('accepts listed devices and existing interfaces only', () => {
    expect(isKnownDevice('lo', DEVS, SYS)).toBe(true);
    expect(isKnownDevice('any', DEVS, SYS)).toBe(true);
    expect(isKnownDevice('nosuchif', DEVS, SYS)).toBe(false);
    expect(isKnownDevice('../lo', DEVS, SYS)).toBe(false);
    expect(isKnownDevice('', DEVS, SYS)).toBe(false);
  });
});
