/** A request the model host refuses, with the HTTP status it maps to (400 unless said otherwise). */
export class RequestError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}
