/** Every TypeORM entity of this service's schema. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const entities: Function[] = [];
