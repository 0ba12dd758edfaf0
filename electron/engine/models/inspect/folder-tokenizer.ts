import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelInspection } from '../../../../shared/models';
import { renderChatTemplateExample } from './chat-template';
import { ModelFormatError } from './errors';
import { asString, isFile, isRecord, readJsonFile } from './util';

/** Tokenizer files of a Hugging Face-style folder, when present. */
export const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer.model',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'vocab.json',
  'merges.txt',
  'chat_template.jinja',
  'chat_template.json',
] as const;

const SPECIAL_TOKEN_ROLES = [
  ['bos', 'bos_token'],
  ['eos', 'eos_token'],
  ['pad', 'pad_token'],
  ['unk', 'unk_token'],
  ['sep', 'sep_token'],
  ['cls', 'cls_token'],
  ['mask', 'mask_token'],
] as const;

export interface FolderTokenizer {
  /** Absolute paths of the tokenizer files present. */
  files: string[];
  chatTemplate: string | null;
  /** The file the chat template came from. */
  chatTemplateSource: string | null;
  /** Names of the other templates when tokenizer_config.json holds a list of named templates. */
  otherChatTemplates: string[];
  specialTokens: Record<string, string>;
  tokenizerClass: string | null;
  warnings: string[];
}

/** A special token in tokenizer_config.json is a string or an AddedToken object ({ content: "<s>", ... }). */
function tokenText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (isRecord(v) && typeof v.content === 'string') return v.content;
  return null;
}

/** Reads the tokenizer, chat template and special tokens; a folder without a tokenizer is an error. */
export async function readFolderTokenizer(dir: string): Promise<FolderTokenizer> {
  const present: string[] = [];
  for (const name of TOKENIZER_FILES) if (await isFile(join(dir, name))) present.push(name);
  const has = (name: string) => present.includes(name);
  if (!has('tokenizer.json') && !has('tokenizer.model') && !(has('vocab.json') && has('merges.txt'))) {
    throw new ModelFormatError(`${dir}: no tokenizer (tokenizer.json or tokenizer.model) — the model cannot be used without one`, dir);
  }
  const warnings: string[] = [];
  const config = has('tokenizer_config.json') ? await readJsonFile(join(dir, 'tokenizer_config.json')) : null;
  const tokConfig = isRecord(config) ? config : {};

  let chatTemplate: string | null = null;
  let chatTemplateSource: string | null = null;
  const otherChatTemplates: string[] = [];
  const fromConfig = tokConfig.chat_template;
  if (typeof fromConfig === 'string') {
    chatTemplate = fromConfig;
    chatTemplateSource = 'tokenizer_config.json';
  } else if (Array.isArray(fromConfig)) {
    const named = fromConfig.filter(isRecord).filter((t) => typeof t.name === 'string' && typeof t.template === 'string');
    const chosen = named.find((t) => t.name === 'default') ?? named[0];
    if (chosen) {
      chatTemplate = chosen.template as string;
      chatTemplateSource = `tokenizer_config.json (template "${chosen.name as string}")`;
      for (const t of named) if (t !== chosen) otherChatTemplates.push(t.name as string);
    }
  }
  // transformers prefers the standalone template files over the one in tokenizer_config.json.
  if (has('chat_template.json')) {
    const json = await readJsonFile(join(dir, 'chat_template.json'));
    const t = isRecord(json) ? asString(json.chat_template) : null;
    if (t) {
      chatTemplate = t;
      chatTemplateSource = 'chat_template.json';
    }
  }
  if (has('chat_template.jinja')) {
    chatTemplate = await readFile(join(dir, 'chat_template.jinja'), 'utf8');
    chatTemplateSource = 'chat_template.jinja';
  }

  const specialTokens: Record<string, string> = {};
  const map = has('special_tokens_map.json') ? await readJsonFile(join(dir, 'special_tokens_map.json')) : null;
  for (const [role, key] of SPECIAL_TOKEN_ROLES) {
    const text = tokenText(tokConfig[key]) ?? (isRecord(map) ? tokenText(map[key]) : null);
    if (text !== null) specialTokens[role] = text;
  }
  if (!has('tokenizer_config.json')) warnings.push('no tokenizer_config.json: special tokens and the chat template are unknown');
  return {
    files: present.map((name) => join(dir, name)),
    chatTemplate,
    chatTemplateSource,
    otherChatTemplates,
    specialTokens,
    tokenizerClass: asString(tokConfig.tokenizer_class),
    warnings,
  };
}

type ConfigFacts = Partial<Pick<ModelInspection, 'contextLength' | 'vocabSize' | 'layerCount' | 'embeddingLength' | 'headCount' | 'headCountKv'>>;

/** The inspection fields every folder format fills the same way: config numbers, chat template (rendered), special tokens. */
export function folderInspectionFields(
  facts: ConfigFacts,
  tokenizer: FolderTokenizer,
  warnings: string[],
): Pick<ModelInspection, keyof ConfigFacts | 'chatTemplate' | 'chatTemplateExample' | 'chatTemplateError' | 'specialTokens'> {
  const rendered = renderChatTemplateExample(tokenizer.chatTemplate, { bos: tokenizer.specialTokens.bos, eos: tokenizer.specialTokens.eos });
  if (!tokenizer.chatTemplate)
    warnings.push('no chat template (tokenizer_config.json chat_template or chat_template.jinja): chat needs a template chosen by hand');
  if (rendered.systemMessageError) warnings.push(`the chat template rejects a system message: ${rendered.systemMessageError}`);
  return {
    contextLength: facts.contextLength ?? null,
    vocabSize: facts.vocabSize ?? null,
    layerCount: facts.layerCount ?? null,
    embeddingLength: facts.embeddingLength ?? null,
    headCount: facts.headCount ?? null,
    headCountKv: facts.headCountKv ?? null,
    chatTemplate: tokenizer.chatTemplate,
    chatTemplateExample: rendered.chatTemplateExample,
    chatTemplateError: rendered.chatTemplateError,
    specialTokens: tokenizer.specialTokens,
  };
}
