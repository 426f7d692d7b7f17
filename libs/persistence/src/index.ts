export * from './data-source.factory';
export * from './bulk';
export * from './at-rest-cipher';
