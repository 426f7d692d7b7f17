import { PassThrough } from 'node:stream';
import type { IncomingHttpHeaders } from 'node:http';
import { OAuthError } from './oauth-error';
import { FormRequest, OAuthForm, readOAuthForm } from './oauth-form';

function request(body: string | Buffer, headers: IncomingHttpHeaders, url = '/ims/token/v3'): FormRequest {
  const stream = new PassThrough();
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const req = Object.assign(stream, { headers: { 'content-length': String(bytes.length), ...headers }, url });
  setImmediate(() => stream.end(bytes));
  return req;
}

const urlencoded = { 'content-type': 'application/x-www-form-urlencoded' };

function multipart(fields: [string, string][], boundary = 'XyZ'): string {
  return fields.map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join('') + `--${boundary}--\r\n`;
}

async function failure(p: Promise<unknown>): Promise<{ status: number; code: string; description: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof OAuthError) return { status: err.status, code: err.code, description: err.description };
    throw err;
  }
  throw new Error('expected a failure');
}

describe('readOAuthForm', () => {
  it('reads url-encoded bodies, with + and percent-encoding', async () => {
    const form = await readOAuthForm(request('grant_type=client_credentials&client_secret=a%2Bb+c&scope=read%2Clists.write', urlencoded), 16384);
    expect(form.get('grant_type')).toBe('client_credentials');
    expect(form.get('client_secret')).toBe('a+b c');
    expect(form.get('scope')).toBe('read,lists.write');
  });

  it('reads multipart bodies', async () => {
    const body = multipart([['grant_type', 'client_credentials'], ['client_id', 'abc']]);
    const form = await readOAuthForm(request(body, { 'content-type': 'multipart/form-data; boundary=XyZ' }), 16384);
    expect(form.get('client_id')).toBe('abc');
  });

  it('reads the query string, alone or with a body, but a parameter only once', async () => {
    const form = await readOAuthForm(request('', { 'content-length': '0' }, '/ims/token/v3?grant_type=client_credentials&client_id=x'), 16384);
    expect(form.get('client_id')).toBe('x');
    expect(await failure(readOAuthForm(request('client_id=y', urlencoded, '/t?client_id=x'), 16384))).toMatchObject({ status: 400, code: 'invalid_request', description: 'parameter "client_id" given more than once' });
  });

  it('refuses a client secret or a token in the URL, whatever the body holds', async () => {
    for (const url of ['/ims/token/v3?client_id=x&client_secret=s', '/ims/invalidate_token/v2?token=t', '/t?client_secret=']) {
      expect(await failure(readOAuthForm(request('grant_type=client_credentials', urlencoded, url), 16384))).toMatchObject({ status: 400, code: 'invalid_request', description: expect.stringMatching(/never in the URL$/) });
    }
  });

  it('answers 413 beyond the limit, declared or streamed', async () => {
    expect(await failure(readOAuthForm(request('a='.padEnd(2000, 'x'), urlencoded), 1024))).toMatchObject({ status: 413 });
    const streamed = request('a='.padEnd(2000, 'x'), { ...urlencoded, 'transfer-encoding': 'chunked' });
    delete streamed.headers['content-length'];
    expect(await failure(readOAuthForm(streamed, 1024))).toMatchObject({ status: 413 });
    const bigMultipart = request(multipart([['a', 'x'.repeat(2000)]]), { 'content-type': 'multipart/form-data; boundary=XyZ', 'transfer-encoding': 'chunked' });
    delete bigMultipart.headers['content-length'];
    expect(await failure(readOAuthForm(bigMultipart, 1024))).toMatchObject({ status: 413 });
  });

  it.each([
    ['malformed percent-encoding', 'grant_type=%zz', urlencoded, 'malformed form encoding'],
    ['invalid UTF-8 in an escape', 'grant_type=%C3', urlencoded, 'malformed form encoding'],
    ['invalid UTF-8 bytes', Buffer.from([0x61, 0x3d, 0xff, 0xfe]), urlencoded, 'form body is not valid UTF-8'],
    ['JSON', '{"grant_type":"client_credentials"}', { 'content-type': 'application/json' }, 'unsupported content type; send application/x-www-form-urlencoded or multipart/form-data'],
    ['no content type', 'grant_type=x', {}, 'unsupported content type; send application/x-www-form-urlencoded or multipart/form-data'],
    ['multipart without boundary', 'x', { 'content-type': 'multipart/form-data' }, 'malformed multipart/form-data content type'],
    ['truncated multipart', '--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\nb', { 'content-type': 'multipart/form-data; boundary=XyZ' }, 'malformed multipart/form-data body'],
    ['multipart file part', '--XyZ\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XyZ--\r\n', { 'content-type': 'multipart/form-data; boundary=XyZ' }, 'file parts are not accepted'],
    ['too many fields', Array.from({ length: 40 }, (_, i) => `f${i}=1`).join('&'), urlencoded, 'more than 32 parameters'],
  ])('answers 400 invalid_request to %s', async (_, body, headers, description) => {
    expect(await failure(readOAuthForm(request(body, headers), 16384))).toEqual({ status: 400, code: 'invalid_request', description });
  });

  it('treats empty values as absent and requires what it is asked to', () => {
    const form = new OAuthForm();
    form.add('scope', '');
    expect(form.get('scope')).toBeUndefined();
    expect(() => form.require('scope')).toThrow('scope is required');
  });
});
