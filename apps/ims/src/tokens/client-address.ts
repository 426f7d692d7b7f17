import { BlockList, isIP } from 'node:net';

/** `10.0.0.1`, `10.0.0.0/8`, `fd00::/8`: one entry of IMS_TRUSTED_PROXIES. */
export function isAddressOrRange(entry: string): boolean {
  const [ip, bits, ...rest] = entry.split('/');
  const family = isIP(ip);
  if (family === 0 || rest.length > 0) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

/**
 * The source address the brute-force brake keys on. X-Forwarded-For is written by whoever sent
 * the request, so it is read only behind a trusted proxy, from the right: each trusted hop vouches
 * for the one to its left, and the first untrusted one is the client. Anything further left may be forged.
 */
export class ClientAddressResolver {
  private readonly trusted = new BlockList();
  private readonly any: boolean;

  constructor(trustedProxies: readonly string[]) {
    for (const entry of trustedProxies) {
      const [ip, bits] = entry.split('/');
      const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.trusted.addAddress(ip, family);
      else this.trusted.addSubnet(ip, Number(bits), family);
    }
    this.any = trustedProxies.length > 0;
  }

  resolve(peer: string | undefined, forwardedFor: string | undefined): string {
    let address = unmapped(peer ?? '') || 'unknown';
    if (!this.any || !forwardedFor) return address;
    const hops = forwardedFor.split(',');
    while (this.isTrusted(address) && hops.length > 0) {
      const hop = unmapped((hops.pop() ?? '').trim());
      if (isIP(hop) === 0) break; // not an address (a port, garbage): stop at the proxy that passed it
      address = hop;
    }
    return address;
  }

  private isTrusted(address: string): boolean {
    const family = isIP(address);
    return family !== 0 && this.trusted.check(address, family === 6 ? 'ipv6' : 'ipv4');
  }
}

/** `::ffff:1.2.3.4` and `1.2.3.4` are one client (a dual-stack socket reports the former). */
function unmapped(address: string): string {
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address) ? address.slice(7) : address;
}
