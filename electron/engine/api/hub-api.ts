import type { EngineApi } from '../../../shared/api/engine-api';
import { DownloadModelInput, type HubTokenStatus } from '../../../shared/hub';
import type { JobRecord } from '../../../shared/jobs';
import { STARTER_CATALOG } from '../hub/catalog';
import { hubModelDetails, hubWhoAmI, searchHub, type HubAccess } from '../hub/hub-client';
import { hubEndpoint } from '../hub/hub-endpoint';
import { defaultVariant, expandSelection } from '../hub/hub-variants';
import { parseHfUri } from '../hub/hf-uri';
import { resolveHubToken, type SecretStore } from '../hub/token-store';
import type { JobRunner } from '../jobs/runner';

export function hubAccess(store: SecretStore, env: NodeJS.ProcessEnv = process.env): HubAccess {
  return { endpoint: hubEndpoint(env), token: resolveHubToken(env, store).token };
}

/**
 * A download of the same files that is already queued, running or paused: a second click, or `pull` run twice,
 * joins it (resuming it if paused) instead of racing it for the same partial files.
 */
function sameDownload(runner: JobRunner, input: DownloadModelInput): JobRecord | null {
  const key = (i: Pick<DownloadModelInput, 'repo' | 'revision' | 'files'>): string => JSON.stringify([i.repo, i.revision, [...i.files].sort()]);
  const want = key(input);
  const active = runner.listActive('model.download');
  const hit = active.find((j) => {
    const parsed = DownloadModelInput.safeParse(j.input);
    return parsed.success && key(parsed.data) === want;
  });
  if (!hit) return null;
  return hit.state === 'paused' ? runner.resume(hit.id) : hit;
}

export function createHubApi(store: SecretStore, runner: JobRunner): EngineApi['hub'] {
  const download = (input: DownloadModelInput): JobRecord => sameDownload(runner, input) ?? runner.start({ kind: 'model.download', input });
  const status = async (): Promise<HubTokenStatus> => {
    const t = resolveHubToken(process.env, store);
    const endpoint = hubEndpoint();
    if (!t.token) return { source: null, endpoint, user: null, error: null };
    try {
      return { source: t.source, endpoint, user: await hubWhoAmI({ endpoint, token: t.token }), error: null };
    } catch (err) {
      return { source: t.source, endpoint, user: null, error: `The Hub did not accept the token: ${err instanceof Error ? err.message : String(err)}` };
    }
  };
  return {
    search: (req) => searchHub(req, hubAccess(store)),
    model: (repo, revision) => hubModelDetails(repo, revision, hubAccess(store)),
    download,
    async pull({ uri, name, tags }) {
      const u = parseHfUri(uri);
      let files: string[];
      if (u.path) {
        files = [u.path];
      } else {
        const details = await hubModelDetails(u.repo, u.revision, hubAccess(store));
        const v = defaultVariant(details.variants, u.quant);
        if (!v) {
          const what = u.quant ? `no ${u.quant} GGUF` : 'no GGUF, ONNX or transformers model';
          throw new Error(`${u.repo}: ${what} found. Available: ${details.variants.map((x) => x.label).join(', ') || 'nothing usable'}`);
        }
        files = expandSelection(details.files, v.files);
      }
      return download({ repo: u.repo, revision: u.revision, files, name, tags, connections: 4 });
    },
    catalog: () => [...STARTER_CATALOG],
    tokenStatus: status,
    async setToken(token) {
      store.write(token);
      return status();
    },
    async clearToken() {
      store.clear();
      return status();
    },
  };
}
