/** The path is not a model Whittle can read, or its files are damaged. The message names the file and what was expected. */
export class ModelFormatError extends Error {
  override name = 'ModelFormatError';

  constructor(
    message: string,
    /** The file or folder at fault. */
    readonly path: string,
  ) {
    super(message);
  }
}
