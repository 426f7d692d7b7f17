import { SecretHasher } from './secret-hasher';

describe(SecretHasher.name, () => {
  const sut = new SecretHasher();

  it('stores a salted scrypt hash and verifies the secret against it', async () => {
    const a = await sut.hash('p8e-secret');
    const b = await sut.hash('p8e-secret');
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(await sut.verify('p8e-secret', a)).toBe(true);
    expect(await sut.verify('p8e-secret', a)).toBe(true); // remembered
    expect(await sut.verify('p8e-wrong', a)).toBe(false);
    expect(await sut.verify('p8e-secret', 'plain')).toBe(false);
    expect(await sut.verify('p8e-secret', a.replace('$16384$', '$3$'))).toBe(false);
  });

  it('does not carry a remembered verification over to another hash', async () => {
    const first = await sut.hash('same');
    await sut.verify('same', first);
    const rotated = await sut.hash('other');
    expect(await sut.verify('same', rotated)).toBe(false);
  });
});
