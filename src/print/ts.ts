/**
 * Packet timestamps as tcpdump 4.99 prints them (util-print.c ts_print), at microsecond precision like
 * tcpdump without --nano: default "HH:MM:SS.uuuuuu", -t none, -tt "sec.uuuuuu", -ttt delta since the
 * previous packet, -tttt with the date, -ttttt delta since the first packet. Local time unless opts.utc.
 */
import { text, type Out, type PrintContext, type Text } from './context.js';

/** Per-run cache of the "HH:MM:SS" / "YYYY-MM-DD HH:MM:SS" text of the last second printed. */
export interface TsCache {
  sec: number;
  hms: string;
  /** "HH:MM:SS.", as the default style starts every line of that second. */
  hmsDot: Text;
  date: string;
}

const pad2 = (n: number): string => (n < 10 ? '0' + n : String(n));

function usecText(usec: number): string {
  // printf("%06u") of a value that may be out of range in a damaged file: as an unsigned 32-bit number.
  const s = String(usec >>> 0);
  return s.length >= 6 ? s : '000000'.slice(s.length) + s;
}

function wallClock(ctx: PrintContext, sec: number): TsCache {
  const c = (ctx.clock ??= { sec: NaN, hms: '', hmsDot: text(''), date: '' });
  if (c.sec === sec) return c;
  const d = new Date(sec * 1000);
  let y: number, mo: number, da: number, h: number, mi: number, s: number;
  if (ctx.opts.utc) {
    y = d.getUTCFullYear();
    mo = d.getUTCMonth() + 1;
    da = d.getUTCDate();
    h = d.getUTCHours();
    mi = d.getUTCMinutes();
    s = d.getUTCSeconds();
  } else {
    y = d.getFullYear();
    mo = d.getMonth() + 1;
    da = d.getDate();
    h = d.getHours();
    mi = d.getMinutes();
    s = d.getSeconds();
  }
  c.sec = sec;
  c.hms = `${pad2(h)}:${pad2(mi)}:${pad2(s)}`;
  c.hmsDot = text(c.hms + '.');
  c.date = `${y}-${pad2(mo)}-${pad2(da)}`;
  return c;
}

/** ts_format: a duration as "HH:MM:SS.uuuuuu" (hours not wrapped). */
function duration(usecTotal: number): string {
  const sec = Math.floor(usecTotal / 1e6);
  const usec = usecTotal - sec * 1e6;
  return `${pad2(Math.floor(sec / 3600))}:${pad2(Math.floor((sec % 3600) / 60))}:${pad2(sec % 60)}.${usecText(usec)}`;
}

/** Returns the timestamp text for a packet (with its trailing space), updating ctx's -ttt/-ttttt state. */
export function formatTimestamp(ctx: PrintContext, tsSec: number, tsNsec: number): string {
  const usec = Math.floor(tsNsec / 1000);
  switch (ctx.opts.tsStyle) {
    case 1:
      return '';
    case 2:
      if (tsSec >= 0x80000000) return '[Error converting time] ';
      return `${tsSec}.${usecText(usec)} `;
    case 3:
    case 5: {
      // Microseconds since the epoch fit a double exactly until the year 2255.
      const now = tsSec * 1e6 + usec;
      const ref = ctx.opts.tsStyle === 3 ? ctx.prevTsNs : ctx.firstTsNs;
      const refUs = ref === undefined ? now : Number(ref / 1000n);
      if (ctx.firstTsNs === undefined) ctx.firstTsNs = BigInt(now) * 1000n;
      if (ctx.opts.tsStyle === 3) ctx.prevTsNs = BigInt(now) * 1000n;
      const delta = now - refUs;
      return (delta < 0 ? '-' : ' ') + duration(Math.abs(delta)) + ' ';
    }
    case 4: {
      if (tsSec >= 0x80000000) return '[Error converting time] ';
      const c = wallClock(ctx, tsSec);
      return `${c.date} ${c.hms}.${usecText(usec)} `;
    }
    default: {
      if (tsSec >= 0x80000000) return '[Error converting time] ';
      const c = wallClock(ctx, tsSec);
      return `${c.hms}.${usecText(usec)} `;
    }
  }
}

/** Appends the timestamp text for a packet (with its trailing space) to `out`, as formatTimestamp returns it. */
export function putTimestamp(ctx: PrintContext, out: Out, tsSec: number, tsNsec: number): void {
  if (ctx.opts.tsStyle !== 0 || tsSec >= 0x80000000) {
    out.put(formatTimestamp(ctx, tsSec, tsNsec));
    return;
  }
  out.putText(wallClock(ctx, tsSec).hmsDot);
  out.num(Math.floor(tsNsec / 1000) >>> 0, 6);
  out.putByte(0x20);
}
