import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FineTuneRow, type ReplyEvent } from '../../shared/chat';
import type { ChatRequest, GenerationEvent, GenerationResult } from '../../shared/inference';
import { ConversationsStore } from '../../electron/engine/chat/conversations-store';
import { fixRow } from '../../electron/engine/chat/export-dataset';
import { REPLY_SAVE_MS, runReply, stopReply } from '../../electron/engine/chat/reply';
import { pathMissing } from '../../electron/engine/models/library';
import { openDatabase } from '../../electron/engine/store/database';
import { parseJsonSchema, parseTools } from '../../renderer/src/features/chat/generationView';
import { tempHome } from '../helpers/paths';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function fixture(): { store: ConversationsStore; file: string; home: string; conversationId: string; userId: string } {
  const home = tempHome('chat-issue12');
  mkdirSync(home, { recursive: true });
  const file = join(home, 'whittle.db');
  const store = new ConversationsStore(openDatabase(file));
  const c = store.create({
    columns: [{ modelId: 'm1' }, { modelId: 'm2' }],
    systemPrompt: 'Be brief.',
    params: {
      temperature: 0.7,
      topK: 40,
      topP: 0.95,
      minP: 0.05,
      repeatPenalty: 1.1,
      maxTokens: 64,
      stop: [],
      chatTemplate: '{{ messages }}',
      jsonSchema: { type: 'object' },
    },
    sameSeed: true,
  });
  const user = store.addMessage({ conversationId: c.id, parentId: null, role: 'user', content: 'Hi', column: null, modelId: null, metrics: null });
  return { store, file, home, conversationId: c.id, userId: user.id };
}

const result = (text: string): GenerationResult => ({
  text,
  finishReason: 'stop',
  metrics: { ttftMs: 1, promptTokens: 2, completionTokens: 3, promptTokensPerSec: 1, genTokensPerSec: 1, totalMs: 5, peakRssBytes: 1 },
  logprobs: null,
  toolCalls: [],
});

/** A fake model: one token every `stepMs` until `tokens` are out or the signal aborts. */
function fakeChat(tokens: number, stepMs: number, seen: ChatRequest[] = []) {
  return async (req: ChatRequest, onEvent: (e: GenerationEvent) => void, signal: AbortSignal): Promise<GenerationResult> => {
    seen.push(req);
    let text = '';
    for (let i = 0; i < tokens; i++) {
      if (signal.aborted) return { ...result(text), finishReason: 'abort' };
      await sleep(stepMs);
      const t = `t${i} `;
      text += t;
      onEvent({ type: 'text', text: t });
    }
    return result(text);
  };
}

test('the engine saves a reply as it streams (throttled), then complete, chained per column, with the conversation’s template and schema', async () => {
  const { store, conversationId, userId, home } = fixture();
  try {
    const seen: ChatRequest[] = [];
    const events: ReplyEvent[] = [];
    const running = runReply(store, fakeChat(30, 20, seen), { conversationId, userId, columns: [0, 1], keep: [], seed: 5 }, (e) => events.push(e), undefined);
    await sleep(300);
    const mid = store.messages(conversationId).filter((m) => m.role === 'assistant');
    assert.equal(mid.length, 2, 'both replies are in the store while they stream');
    for (const m of mid) {
      assert.equal(m.status, 'streaming');
      assert.ok(m.content.length > 0, 'with the text so far');
    }
    await running;
    const done = store.messages(conversationId).filter((m) => m.role === 'assistant');
    assert.deepEqual(
      done.map((m) => m.status),
      ['complete', 'complete'],
    );
    assert.ok(done.every((m) => m.content.startsWith('t0 t1') && m.content.includes('t29')));
    assert.equal(done[1]!.parentId, done[0]!.id, 'the second reply hangs under the first');
    assert.equal(done[0]!.parentId, userId);
    assert.equal((done[0]!.metrics as { seed?: number } | null)?.seed, 5);
    assert.equal(store.get(conversationId).activeLeafId, done[1]!.id);
    assert.equal(seen[0]!.chatTemplate, '{{ messages }}', 'the conversation’s chat template is used');
    assert.deepEqual(seen[0]!.jsonSchema, { type: 'object' });
    assert.equal(seen[0]!.params.seed, 5);
    assert.deepEqual(seen[0]!.messages, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
    ]);
    assert.ok(!('chatTemplate' in seen[0]!.params), 'the sampling params carry no template');
    assert.equal(events.filter((e) => e.type === 'end').length, 2);
    assert.ok(REPLY_SAVE_MS <= 250);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('a reply cut off (the client went away, or Stop) is saved as far as it got and marked interrupted', async () => {
  const { store, conversationId, userId, home } = fixture();
  try {
    const ac = new AbortController();
    const events: ReplyEvent[] = [];
    const running = runReply(store, fakeChat(1000, 10), { conversationId, userId, columns: [0], keep: [] }, (e) => events.push(e), ac.signal);
    await sleep(200);
    ac.abort();
    await running;
    const [reply] = store.messages(conversationId).filter((m) => m.role === 'assistant');
    assert.ok(reply, 'the partial reply is kept');
    assert.equal(reply.status, 'interrupted');
    const streamed = events
      .filter((e): e is Extract<ReplyEvent, { type: 'text' }> => e.type === 'text')
      .map((e) => e.text)
      .join('');
    assert.equal(reply.content, streamed, 'every streamed token is saved, not only the last throttled write');
    assert.equal((reply.metrics as { finishReason?: string } | null)?.finishReason, 'abort');

    // Stop: the engine's own command, resolved once the reply is saved.
    const again = runReply(store, fakeChat(1000, 10), { conversationId, userId, columns: [1], keep: [] }, () => undefined, undefined);
    await sleep(100);
    assert.equal(await stopReply(conversationId), true);
    const stopped = store.messages(conversationId).find((m) => m.column === 1);
    assert.equal(stopped?.status, 'interrupted');
    await again;
    assert.equal(await stopReply(conversationId), false, 'nothing runs any more');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('a reply the engine was writing when it died reads as interrupted after a restart', async () => {
  const { store, file, conversationId, userId, home } = fixture();
  try {
    void runReply(store, fakeChat(1000, 10), { conversationId, userId, columns: [0], keep: [] }, () => undefined, undefined);
    await sleep(150);
    assert.equal(store.messages(conversationId).find((m) => m.role === 'assistant')?.status, 'streaming');
    // A new engine on the same database (the old one "died" mid-reply).
    const restarted = new ConversationsStore(openDatabase(file));
    const reply = restarted.messages(conversationId).find((m) => m.role === 'assistant');
    assert.equal(reply?.status, 'interrupted');
    assert.ok(reply && reply.content.length > 0);
    await stopReply(conversationId);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('export rows: consecutive user messages merged, trailing user turns dropped, invalid rows skipped with a reason', () => {
  const fixed = fixRow({
    messages: [
      { role: 'system', content: 'S' },
      { role: 'user', content: 'a' },
      { role: 'user', content: 'b' },
      { role: 'assistant', content: 'c' },
      { role: 'user', content: 'd' },
    ],
  });
  assert.ok(fixed.row);
  assert.deepEqual(fixed.row.messages, [
    { role: 'system', content: 'S' },
    { role: 'user', content: 'a\n\nb' },
    { role: 'assistant', content: 'c' },
  ]);
  assert.equal(fixed.fixed.length, 2, JSON.stringify(fixed.fixed));
  assert.ok(FineTuneRow.safeParse(fixed.row).success);

  const empty = fixRow({
    messages: [
      { role: 'user', content: 'a' },
      { role: 'assistant', content: '  ' },
    ],
  });
  assert.equal(empty.row, null, 'nothing left to learn from');
  assert.ok(!empty.row && /assistant|messages/.test(empty.why), !empty.row ? empty.why : '');

  assert.ok(
    fixRow({
      messages: [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: 'a' },
      ],
    }).row,
    'a valid row passes untouched',
  );
  const clean = fixRow({
    messages: [
      { role: 'user', content: 'q' },
      { role: 'assistant', content: 'a' },
    ],
  });
  assert.deepEqual(clean.row ? clean.fixed : null, []);

  // The schema itself: alternation, the ending, tool calls paired with tool messages.
  assert.equal(
    FineTuneRow.safeParse({
      messages: [
        { role: 'user', content: 'a' },
        { role: 'user', content: 'b' },
        { role: 'assistant', content: 'c' },
      ],
    }).success,
    false,
  );
  assert.equal(
    FineTuneRow.safeParse({
      messages: [
        { role: 'user', content: 'a' },
        { role: 'assistant', content: 'b' },
        { role: 'user', content: 'c' },
      ],
    }).success,
    false,
  );
  const call = { id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } };
  assert.equal(
    FineTuneRow.safeParse({
      messages: [
        { role: 'user', content: 'a' },
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: 'c1', content: '1' },
        { role: 'assistant', content: 'done' },
      ],
    }).success,
    true,
  );
  assert.equal(
    FineTuneRow.safeParse({
      messages: [
        { role: 'user', content: 'a' },
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'assistant', content: 'done' },
      ],
    }).success,
    false,
    'an unanswered tool call',
  );
  assert.equal(
    FineTuneRow.safeParse({
      messages: [
        { role: 'user', content: 'a' },
        { role: 'tool', tool_call_id: 'x', content: '1' },
        { role: 'assistant', content: 'done' },
      ],
    }).success,
    false,
    'a tool message without a call',
  );
});

test('the conversation settings validate a JSON schema and OpenAI tools, naming the error', () => {
  assert.deepEqual(parseJsonSchema(''), { ok: true, value: undefined });
  assert.deepEqual(parseJsonSchema('{"type":"object"}'), { ok: true, value: { type: 'object' } });
  const bad = parseJsonSchema('{"type":');
  assert.ok(!bad.ok && bad.error.startsWith('JSON schema: not valid JSON'));
  const arr = parseJsonSchema('[1]');
  assert.ok(!arr.ok && /must be a JSON object/.test(arr.error));

  const tools = parseTools('[{"type":"function","function":{"name":"get_weather","description":"d","parameters":{"type":"object"}}}]');
  assert.deepEqual(tools, { ok: true, value: [{ name: 'get_weather', description: 'd', parameters: { type: 'object' } }] });
  const noName = parseTools('[{"type":"function","function":{"description":"d"}}]');
  assert.ok(!noName.ok && /item 1: function\.name/.test(noName.error), !noName.ok ? noName.error : '');
  const notArray = parseTools('{"type":"function"}');
  assert.ok(!notArray.ok && /must be a JSON array/.test(notArray.error));
  const wrongType = parseTools('[{"type":"tool","function":{"name":"a"}}]');
  assert.ok(!wrongType.ok && /"type" must be "function"/.test(wrongType.error));
});

test('library: a model whose file was deleted reads as missing (a cheap stat, cached briefly)', async () => {
  const home = tempHome('missing');
  mkdirSync(home, { recursive: true });
  try {
    const file = join(home, 'm.gguf');
    writeFileSync(file, 'x');
    assert.equal(pathMissing(file), false);
    rmSync(file);
    await sleep(2100);
    assert.equal(pathMissing(file), true);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
