/**
 * Where the network layer starts in a packet of each link type ntk knows, and which protocol it is: shared by
 * the file filters (watch/filter.ts) and by live capture's wire-length repair (watch/live.ts).
 */
import { familyEthertype, nullFamily } from './null.js';
import { LINKTYPE } from './packet.js';
import type { Reader } from './reader.js';

/**
 * Returns the offset of the network layer and its ethertype (0 when unknown), or undefined when the link type
 * is not one of these or its header was not captured. VLAN tags are not skipped (pcap-filter's `ip` does not
 * match a tagged packet either). NULL/LOOP carry an address family, read as null.ts reads it; raw IP is known
 * by its version nibble.
 */
export function networkLayer(linktype: number, r: Reader): { off: number; type: number } | undefined {
  switch (linktype) {
    case LINKTYPE.ETHERNET:
      return r.has(12, 2) ? { off: 14, type: r.be16(12) } : undefined;
    case LINKTYPE.LINUX_SLL:
      return r.has(14, 2) ? { off: 16, type: r.be16(14) } : undefined;
    case LINKTYPE.LINUX_SLL2:
      return r.has(0, 2) ? { off: 20, type: r.be16(0) } : undefined;
    case LINKTYPE.NULL:
    case LINKTYPE.LOOP: {
      if (!r.has(0, 4)) return undefined;
      return { off: 4, type: familyEthertype(nullFamily(r, linktype === LINKTYPE.LOOP)) };
    }
    case LINKTYPE.RAW:
    case LINKTYPE.IPV4:
    case LINKTYPE.IPV6: {
      if (!r.has(0, 1)) return undefined;
      const v = r.u8(0) >> 4;
      return { off: 0, type: v === 4 ? 0x0800 : v === 6 ? 0x86dd : 0 };
    }
    default:
      return undefined;
  }
}
