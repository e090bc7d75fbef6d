import dns from 'node:dns';
import net from 'node:net';
import type { WebhookUrlPolicy } from '../domain/ports';
import { badInput } from '../errors';

/**
 * Addresses a webhook may not reach unless ALERT_ALLOW_PRIVATE_URLS=true: loopback, private,
 * link-local (cloud metadata at 169.254.169.254), carrier-grade NAT, unspecified, multicast and
 * their IPv6 counterparts, so budgets cannot make this service probe its own network.
 */
const PRIVATE = new net.BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv6');
}

export function isPrivateAddress(address: string): boolean {
  const family = net.isIPv6(address) ? 'ipv6' : 'ipv4';
  // An IPv4 address written as IPv6 (::ffff:10.0.0.1) is judged as the IPv4 address it is.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1] as string, 'ipv4');
  return PRIVATE.check(address, family);
}

const MAX_URL_LENGTH = 2048;

/** Scheme and destination checks of webhook URLs, when a budget is saved and when one is sent. */
export class WebhookUrlChecker implements WebhookUrlPolicy {
  constructor(private readonly allowPrivate: boolean) {}

  async check(text: string, argument: string): Promise<string> {
    if (text.length > MAX_URL_LENGTH) throw badInput(argument, `at most ${MAX_URL_LENGTH} characters`);
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw badInput(argument, 'is not a URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw badInput(argument, `only http and https URLs are allowed, not ${url.protocol.replace(/:$/, '')}`);
    }
    if (url.username || url.password) throw badInput(argument, 'must not carry a user name or password');
    if (!this.allowPrivate) {
      const addresses = await resolve(url.hostname);
      if (addresses.length === 0) throw badInput(argument, `${url.hostname} does not resolve`);
      if (addresses.some(isPrivateAddress)) {
        throw badInput(
          argument,
          `${url.hostname} is a loopback, private or link-local address; webhooks must go to a public one`,
        );
      }
    }
    return url.toString();
  }

  /**
   * A `lookup` for http.request that refuses private addresses at connection time, so a name
   * that resolved to a public address when saved cannot be re-pointed at the inside later.
   */
  lookup(): net.LookupFunction | undefined {
    if (this.allowPrivate) return undefined;
    return ((hostname: string, options: dns.LookupOptions, callback: (...args: unknown[]) => void) => {
      dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
        if (error) return callback(error);
        const list = addresses as dns.LookupAddress[];
        const blocked = list.find((a) => isPrivateAddress(a.address));
        if (blocked) return callback(new Error(`${hostname} resolves to a private address`));
        if (options.all) return callback(null, list);
        const first = list[0] as dns.LookupAddress;
        return callback(null, first.address, first.family);
      });
    }) as net.LookupFunction;
  }
}

async function resolve(hostname: string): Promise<string[]> {
  const bare = hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(bare)) return [bare];
  try {
    return (await dns.promises.lookup(bare, { all: true })).map((a) => a.address);
  } catch {
    return [];
  }
}
