// The contract between the bridge and the page: everything one says to the other. Both sides import
// this module and nothing else of each other; it is typed without DOM or Node types (tsconfig.json here).
export * from './models.ts';
export * from './errors.ts';
export * from './messages.ts';
export * from './calls.ts';
export * from './frame.ts';
export * from './schema.ts';
export * from './data-uri.ts';
export * from './pending.ts';
export * from './image-size.ts';
export * from './wav.ts';
export * from './media-limits.ts';
