import { VISITOR_ID } from '@audx/identifiers';

const ORG_ID = /^[0-9A-F]{23,24}@AdobeOrg$/;

/** Parses a Cookie header into name -> raw value (first occurrence wins). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (!out.has(name)) out.set(name, value);
  }
  return out;
}

function decode(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

/**
 * The visitor IDs the request carries, per org: cookies `AMCV_<org id, @ as %40>` whose value
 * (URL-encoded or not) holds `MCMID|<38 digits>`, as the Experience Cloud ID service writes them.
 */
export function visitorIdsFromCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, raw] of parseCookies(header)) {
    if (!name.startsWith('AMCV_')) continue;
    const orgId = decode(name.slice('AMCV_'.length));
    if (!ORG_ID.test(orgId)) continue;
    const parts = decode(raw).split('|');
    const at = parts.indexOf('MCMID');
    const visitorId = at >= 0 ? parts[at + 1] : undefined;
    if (visitorId && VISITOR_ID.test(visitorId)) out.set(orgId, visitorId);
  }
  return out;
}

/**
 * Where the redirect may send: an absolute http(s) URL whose host is listed exactly, or matches a
 * `*.domain` entry (the domain itself included); `host:port` entries pin the port. Anything else
 * is refused (an open redirect is a phishing tool).
 */
export function allowedTarget(raw: string | undefined, allowedHosts: readonly string[]): URL | null {
  if (!raw || raw.length > 4096) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.username || url.password) return null;
  const host = url.hostname.toLowerCase();
  const hostPort = url.port ? `${host}:${url.port}` : host;
  return allowedHosts.some((entry) => {
    if (entry.startsWith('*.')) {
      const domain = entry.slice(2);
      return host === domain || host.endsWith(`.${domain}`);
    }
    return entry.includes(':') ? entry === hostPort : entry === host;
  })
    ? url
    : null;
}
