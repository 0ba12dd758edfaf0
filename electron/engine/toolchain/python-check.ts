import { existsSync } from 'node:fs';
import type { PythonEnvPaths } from './python-env';
import { runPythonJob, type PythonJobHooks } from './python-job';

export interface PythonCheck {
  python: string;
  executable: string;
  /** The interpreter the venv was made from. */
  baseExecutable: string;
  distributions: number;
  /** Distribution name -> installed version (null: not installed). */
  versions: Record<string, string | null>;
  /** Installed distributions with files missing from disk. */
  broken: { name: string; version: string; missing: number; examples: string[] }[];
  imports: { module: string; dist: string; ok: boolean; error: string | null; seconds: number }[];
  onnxruntimeProviders: string[] | null;
}

export interface PythonCheckOutcome {
  ok: boolean;
  /** Why not, one line per problem. */
  problems: string[];
  check: PythonCheck | null;
}

/** Runs whittle_jobs.check_env in the env. `imports` also imports every package (Olive alone takes seconds). */
export async function checkPythonEnv(paths: PythonEnvPaths, imports: boolean, hooks: PythonJobHooks = {}): Promise<PythonCheckOutcome> {
  if (!existsSync(paths.python)) return { ok: false, problems: [`${paths.python} is missing`], check: null };
  let check: PythonCheck;
  try {
    check = (await runPythonJob(paths.python, 'check_env', imports ? ['--imports'] : [], hooks)).result as unknown as PythonCheck;
  } catch (err) {
    return { ok: false, problems: [`the interpreter does not run: ${(err as Error).message.split('\n')[0]}`], check: null };
  }
  const problems: string[] = [];
  for (const [dist, version] of Object.entries(check.versions)) if (!version) problems.push(`${dist} is not installed`);
  for (const b of check.broken) problems.push(`${b.name} ${b.version}: ${b.missing} file${b.missing === 1 ? '' : 's'} missing (e.g. ${b.examples[0] ?? '?'})`);
  for (const i of check.imports) if (!i.ok) problems.push(`import ${i.module} fails: ${i.error}`);
  if (!existsSync(paths.llamaScripts)) problems.push(`llama.cpp converter scripts are missing from ${paths.llamaScripts}`);
  return { ok: problems.length === 0, problems, check };
}
