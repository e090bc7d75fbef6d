/**
 * The ports: every interface a service, a job or a route depends on, and that an adapter in
 * `src/store`, `src/k8s-cost`, `src/ingest` or `src/jobs` implements. One convention: an
 * interface per role, grouped in a file per data path, all imported from `domain/ports`. The
 * composition root (`src/main.ts`) picks the adapters.
 */
export * from './metadata';
export * from './cost-store';
export * from './focus-import';
export * from './aggregation';
export * from './metrics-source';
export * from './metrics-writer';
export * from './remote-write-codec';
export * from './reconciliation';
export * from './allocation';
export * from './budget';
