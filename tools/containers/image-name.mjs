// The test containers' image tag: it names what the image holds, so a change to its recipe builds a new one.
export const DEPS_IMAGE = 'audx/deps:bookworm-mariadb-jre17-1';
if (process.argv[1] && process.argv[1].endsWith('image-name.mjs')) console.log(DEPS_IMAGE);
