import { allowedTarget, visitorIdsFromCookies } from './tracking';

const ORG = '1FD6776A524453CC0A490D44@AdobeOrg';
const ECID = '59767559181262060060278870901087098252';

describe('visitorIdsFromCookies', () => {
  it('reads MCMID from an URL-encoded AMCV cookie named after the org', () => {
    const header = `s_cc=true; AMCV_1FD6776A524453CC0A490D44%40AdobeOrg=-1124106680%7CMCIDTS%7C19000%7CMCMID%7C${ECID}%7CvVersion%7C5.2.0`;
    expect(visitorIdsFromCookies(header)).toEqual(new Map([[ORG, ECID]]));
  });

  it('reads a plain value and an unencoded @ too', () => {
    expect(visitorIdsFromCookies(`AMCV_${ORG}=MCMID|${ECID}`).get(ORG)).toBe(ECID);
  });

  it('ignores cookies without a 38-digit MCMID or with a malformed org', () => {
    expect(visitorIdsFromCookies(`AMCV_${encodeURIComponent(ORG)}=MCMID|123`).size).toBe(0);
    expect(visitorIdsFromCookies(`AMCV_nope=MCMID|${ECID}`).size).toBe(0);
    expect(visitorIdsFromCookies(undefined).size).toBe(0);
  });
});

describe('allowedTarget', () => {
  const hosts = ['www.example.com', '*.shop.example', 'localhost:8080'];

  it.each([
    ['https://www.example.com/offer?x=1', true],
    ['http://www.example.com/', true],
    ['https://shop.example/a', true],
    ['https://eu.shop.example/a', true],
    ['http://localhost:8080/x', true],
    ['http://localhost:9090/x', false],
    ['https://example.com/', false],
    ['https://www.example.com.evil.io/', false],
    ['https://evilshop.example/', false],
    ['javascript:alert(1)', false],
    ['//www.example.com/', false],
    ['https://user:pw@www.example.com/', false],
    ['not a url', false],
  ])('%s -> %s', (url, ok) => {
    expect(allowedTarget(url, hosts) !== null).toBe(ok);
  });

  it('refuses everything when no host is configured', () => {
    expect(allowedTarget('https://www.example.com/', [])).toBeNull();
  });
});
