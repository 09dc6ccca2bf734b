/**
 * Name resolution for all commands: literals pass through, names go through the system resolver (getaddrinfo,
 * as nc does), filtered by -4/-6.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { createError } from './errors.js';
import { errnoWords } from './errno.js';

export type Family = 0 | 4 | 6;

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/**
 * Returns the addresses of `host` in the resolver's order, restricted to `family` when not 0; throws E_RESOLVE
 * (a name that does not resolve, or no address of the asked family).
 */
export async function resolveHost(context: string, host: string, family: Family): Promise<ResolvedAddress[]> {
  const literal = isIP(host);
  if (literal === 4 || literal === 6) {
    if (family !== 0 && family !== literal) {
      throw createError('E_RESOLVE', context, `${host} is not an IPv${family} address`);
    }
    return [{ address: host, family: literal }];
  }
  let found: { address: string; family: number }[];
  try {
    found = await lookup(host, { all: true, family, verbatim: true });
  } catch (err) {
    throw createError('E_RESOLVE', context, `cannot resolve ${host}: ${errnoWords(err)}`, { cause: err });
  }
  const usable = found.filter((a): a is ResolvedAddress => a.family === 4 || a.family === 6);
  if (usable.length === 0) {
    throw createError('E_RESOLVE', context, `cannot resolve ${host}: no IPv${family || ''} address`);
  }
  return usable;
}
