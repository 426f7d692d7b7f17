export * from './visitor-id';
export * from './email';
export * from './phone';
export * from './hash';
export * from './aes';
