import { InvalidInputError } from '../../../shared/errors';
import { repoFilePathProblem, repoIdProblem } from './hub-ids';

/** A model reference as users type it: hf:owner/name[@revision][/path/in/repo][:QUANT], or a huggingface.co URL. */
export interface HfUri {
  repo: string;
  revision: string;
  /** A file or folder inside the repo. */
  path: string | null;
  /** A GGUF quantization to pick, e.g. Q4_K_M (Ollama / LM Studio style). */
  quant: string | null;
}

export class HfUriError extends InvalidInputError {
  override name = 'HfUriError';
}

const NAME = /^[\w.-]+$/;

export function parseHfUri(input: string): HfUri {
  const raw = input.trim();
  let rest: string;
  const url = /^https?:\/\/[^/]+\/(.+)$/.exec(raw);
  if (url) {
    // https://huggingface.co/owner/name[/blob|resolve|tree/rev/path]
    const parts = url[1]!.split('/');
    const [owner, name, mode, rev, ...path] = parts;
    if (!owner || !name) throw new HfUriError(`${input}: expected https://…/owner/name`);
    if (mode && ['blob', 'resolve', 'tree'].includes(mode) && rev) {
      return check(input, {
        repo: `${owner}/${name}`,
        revision: decodeURIComponent(rev),
        path: path.length ? path.map(decodeURIComponent).join('/') : null,
        quant: null,
      });
    }
    return check(input, { repo: `${owner}/${name}`, revision: 'main', path: null, quant: null });
  }
  if (raw.startsWith('hf:')) rest = raw.slice(3);
  else if (raw.startsWith('hf.co/')) rest = raw.slice(6);
  else throw new HfUriError(`${input}: expected hf:owner/name[@revision][/file][:QUANT]`);
  rest = rest.replace(/^\/+/, '');

  let quant: string | null = null;
  const q = /:([\w.-]+)$/.exec(rest);
  if (q) {
    quant = q[1]!;
    rest = rest.slice(0, q.index);
  }
  const [owner, nameRev, ...path] = rest.split('/');
  if (!owner || !nameRev) throw new HfUriError(`${input}: expected hf:owner/name`);
  const at = nameRev.indexOf('@');
  const name = at >= 0 ? nameRev.slice(0, at) : nameRev;
  const revision = at >= 0 ? nameRev.slice(at + 1) : 'main';
  if (!revision) throw new HfUriError(`${input}: empty revision after @`);
  return check(input, { repo: `${owner}/${name}`, revision, path: path.length ? path.join('/') : null, quant });
}

function check(input: string, u: HfUri): HfUri {
  const [owner, name] = u.repo.split('/');
  if (!owner || !name || !NAME.test(owner) || !NAME.test(name)) throw new HfUriError(`${input}: "${u.repo}" is not a valid owner/name`);
  const repoWhy = repoIdProblem(u.repo);
  if (repoWhy) throw new HfUriError(`${input}: "${u.repo}" is not a valid owner/name (${repoWhy})`);
  const pathWhy = u.path === null ? null : repoFilePathProblem(u.path);
  if (pathWhy) throw new HfUriError(`${input}: invalid path in repo "${u.path}" (the path ${pathWhy})`);
  return u;
}

export function formatHfUri(repo: string, revision: string, path?: string | null): string {
  return `hf:${repo}${revision && revision !== 'main' ? `@${revision}` : ''}${path ? `/${path}` : ''}`;
}
