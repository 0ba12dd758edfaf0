// Error classes the engine throws and the transport maps to status codes (shared/api/router.ts: tRPC codes,
// electron/engine/server/openai-routes.ts: HTTP statuses). They live here, not in the router, so the engine
// does not depend on the transport. Environment-neutral: no Node, no DOM.

/** Engine errors that mean "no such thing" surface as 404 rather than 500. */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
}
/** The request clashes with the engine's current state: surfaces as 409. */
export class ConflictError extends Error {
  override name = 'ConflictError';
}
/** Input that passed the schema but makes no sense (an unparseable hf: URI, a path that is not a model). */
export class InvalidInputError extends Error {
  override name = 'InvalidInputError';
}
