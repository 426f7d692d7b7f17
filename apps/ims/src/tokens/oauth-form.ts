import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import { OAuthError } from './oauth-error';

const MAX_FIELDS = 32;
/** Credentials never travel in a URL: proxies, access logs and browser histories keep URLs. */
const BODY_ONLY = ['client_secret', 'token'];
const MAX_NAME_LENGTH = 64;

/** The parameters of an OAuth request; a parameter given twice is an error (RFC 6749 §3.1). */
export class OAuthForm {
  private readonly values = new Map<string, string>();

  add(name: string, value: string): void {
    if (name.length === 0) return;
    if (name.length > MAX_NAME_LENGTH) throw OAuthError.invalidRequest('parameter name too long');
    if (this.values.has(name)) throw OAuthError.invalidRequest(`parameter ${printable(name)} given more than once`);
    if (this.values.size >= MAX_FIELDS) throw OAuthError.invalidRequest(`more than ${MAX_FIELDS} parameters`);
    this.values.set(name, value);
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  get(name: string): string | undefined {
    const v = this.values.get(name);
    return v === undefined || v === '' ? undefined : v;
  }

  require(name: string): string {
    const v = this.get(name);
    if (v === undefined) throw OAuthError.invalidRequest(`${name} is required`);
    return v;
  }
}

export type FormRequest = Readable & { headers: IncomingHttpHeaders; url?: string; originalUrl?: string };

/**
 * Reads the query string and an `application/x-www-form-urlencoded` or `multipart/form-data`
 * body (no file parts), at most `maxBytes`: 413 beyond, 400 invalid_request on anything malformed.
 */
export async function readOAuthForm(req: FormRequest, maxBytes: number): Promise<OAuthForm> {
  const form = new OAuthForm();
  const query = (req.originalUrl ?? req.url ?? '').split('?')[1];
  if (query) {
    const fromUrl = new OAuthForm();
    parseUrlEncoded(query, fromUrl);
    for (const name of BODY_ONLY) {
      if (fromUrl.has(name)) throw OAuthError.invalidRequest(`${name} must be sent in the request body${name === 'client_secret' ? ' or an Authorization: Basic header' : ''}, never in the URL`);
    }
    parseUrlEncoded(query, form);
  }
  const declared = req.headers['content-length'];
  const hasBody = (declared !== undefined && declared !== '0') || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody) return form;
  if (declared !== undefined && !(Number(declared) <= maxBytes)) throw OAuthError.tooLarge(maxBytes);
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') {
    parseUrlEncoded(decodeUtf8(await readLimited(req, maxBytes)), form);
  } else if (type === 'multipart/form-data') {
    await readMultipart(req, maxBytes, form);
  } else {
    throw OAuthError.invalidRequest('unsupported content type; send application/x-www-form-urlencoded or multipart/form-data');
  }
  return form;
}

/** Strict: malformed percent-encoding or invalid UTF-8 is an error, not a replacement character. */
export function parseUrlEncoded(text: string, form: OAuthForm): void {
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawName = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    form.add(decodeComponent(rawName), decodeComponent(rawValue));
  }
}

function decodeComponent(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    throw OAuthError.invalidRequest('malformed form encoding');
  }
}

function decodeUtf8(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw OAuthError.invalidRequest('form body is not valid UTF-8');
  }
}

function readLimited(req: Readable, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    const finish = (err: Error | null) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      if (err) {
        req.resume();
        reject(err);
      } else resolve(Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) finish(OAuthError.tooLarge(maxBytes));
      else chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => finish(null));
    req.once('error', () => finish(OAuthError.invalidRequest('request body could not be read')));
  });
}

function readMultipart(req: FormRequest, maxBytes: number, form: OAuthForm): Promise<void> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        limits: { fieldNameSize: MAX_NAME_LENGTH, fieldSize: maxBytes, fields: MAX_FIELDS, files: 0, parts: MAX_FIELDS },
      });
    } catch {
      reject(OAuthError.invalidRequest('malformed multipart/form-data content type'));
      return;
    }
    let total = 0;
    let done = false;
    const fail = (err: unknown) => {
      if (done) return;
      done = true;
      req.unpipe(parser);
      req.off('data', count);
      req.resume();
      reject(err instanceof OAuthError ? err : OAuthError.invalidRequest('malformed multipart/form-data body'));
    };
    const count = (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) fail(OAuthError.tooLarge(maxBytes));
    };
    parser.on('field', (name, value, info) => {
      if (done) return;
      if (info.nameTruncated || info.valueTruncated) return fail(OAuthError.invalidRequest('multipart field too long'));
      try {
        form.add(name, value);
      } catch (err) {
        fail(err);
      }
    });
    parser.on('file', (_name, stream) => {
      stream.resume();
      fail(OAuthError.invalidRequest('file parts are not accepted'));
    });
    parser.on('filesLimit', () => fail(OAuthError.invalidRequest('file parts are not accepted')));
    parser.on('fieldsLimit', () => fail(OAuthError.invalidRequest(`more than ${MAX_FIELDS} parameters`)));
    parser.on('partsLimit', () => fail(OAuthError.invalidRequest(`more than ${MAX_FIELDS} parts`)));
    parser.on('error', () => fail(OAuthError.invalidRequest('malformed multipart/form-data body')));
    parser.on('close', () => {
      if (done) return;
      done = true;
      resolve();
    });
    req.on('data', count);
    req.once('error', () => fail(OAuthError.invalidRequest('request body could not be read')));
    req.pipe(parser);
  });
}

function printable(name: string): string {
  return JSON.stringify(name.slice(0, MAX_NAME_LENGTH));
}
