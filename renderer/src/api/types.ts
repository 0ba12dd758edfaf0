import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '../../../shared/api/router';

/**
 * What the client actually receives, inferred from the router: the shared types as they arrive
 * after JSON serialization.
 */
type Outputs = inferRouterOutputs<AppRouter>;

export type AppInfo = Outputs['app']['info'];
export type Job = Outputs['jobs']['get'];
export type JobEvent = Outputs['jobs']['events'] extends AsyncIterable<infer E> ? E : never;
export type LatestReport = NonNullable<Outputs['hardware']['latestReport']>;
export type SystemReport = LatestReport['report'];
