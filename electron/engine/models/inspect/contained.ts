import { resolve } from 'node:path';
import { resolveInsideReal, UnsafePathError } from '../../util/contained-path';
import { ModelFormatError } from './errors';

/**
 * A file a model's own metadata names (genai_config.json's filenames, an ONNX graph's external-data locations, the
 * shards of a safetensors index), resolved inside the model's folder: an absolute path, a `..` segment or a symbolic
 * link leading out of the folder is a ModelFormatError naming the value and the file that named it. Links into a
 * Hugging Face cache's blobs stay allowed (the cache's snapshots are made of them).
 */
export async function fileInsideModel(dir: string, name: unknown, namedBy: string, what: string): Promise<string> {
  try {
    return await resolveInsideReal(dir, name as string, `${namedBy}: ${what}`, { allowHfCacheBlobs: true });
  } catch (err) {
    if (err instanceof UnsafePathError)
      throw new ModelFormatError(`${err.message}; refusing to read it`, typeof name === 'string' && !name.includes('\0') ? resolve(dir, name) : dir);
    throw err;
  }
}
