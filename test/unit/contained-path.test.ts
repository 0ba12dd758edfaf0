import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { checkCommitSha, checkRepoFilePath, checkRepoId, repoIdProblem } from '../../electron/engine/hub/hub-ids';
import { parseHfUri } from '../../electron/engine/hub/hf-uri';
import { slugify } from '../../electron/engine/models/jobs/model-import';
import { isHfCacheBlob, resolveInside, resolveInsideReal, unsafeRelativePathReason, UnsafePathError } from '../../electron/engine/util/contained-path';

const root = resolve('/data/downloads/owner--name/0123456789abcdef0123456789abcdef01234567');

test('resolveInside keeps plain relative paths inside their folder', () => {
  for (const [rel, want] of [
    ['tiny.gguf', 'tiny.gguf'],
    ['sub/dir/model.onnx', 'sub/dir/model.onnx'],
    ['./model.onnx.data', 'model.onnx.data'],
    ['a/./b', 'a/b'],
    ['..foo', '..foo'],
    ['foo..', 'foo..'],
    ['...', '...'],
    ['a/..b/c', 'a/..b/c'],
    // Nothing is URL-decoded: an encoded dot-dot is a literal file name, and stays inside.
    ['%2e%2e/x.gguf', '%2e%2e/x.gguf'],
    ['%2E%2E%2Fx', '%2E%2E%2Fx'],
    ['C/x', 'C/x'],
  ] as const) {
    assert.equal(resolveInside(root, rel, 'test path'), join(root, want), rel);
    assert.equal(unsafeRelativePathReason(rel), null, rel);
  }
});

test('resolveInside refuses absolute paths, drive letters, backslashes, ".." and NUL, naming the value and its source', () => {
  const cases: [string, RegExp][] = [
    ['../../../victimdir', /has a "\.\." segment/],
    ['../../../../../x/tiny.gguf', /has a "\.\." segment/],
    ['..', /has a "\.\." segment/],
    ['a/../../b', /has a "\.\." segment/],
    ['a/b/..', /has a "\.\." segment/],
    ['/etc/passwd', /is an absolute path/],
    ['//server/share/x', /is an absolute path/],
    ['C:\\Windows\\x.gguf', /backslash/],
    ['C:/Windows/x.gguf', /is an absolute path|drive letter/],
    ['c:x.gguf', /drive letter/],
    ['..\\..\\x.gguf', /backslash/],
    ['a\\..\\..\\x', /backslash/],
    ['\\\\server\\share', /backslash/],
    ['x.gguf\0.txt', /NUL/],
    ['', /empty/],
  ];
  for (const [rel, why] of cases) {
    assert.throws(
      () => resolveInside(root, rel, 'file path from the Hub for owner/name'),
      (err: unknown) => {
        assert.ok(err instanceof UnsafePathError, String(err));
        assert.equal(err.value, rel);
        assert.match(err.message, /^file path from the Hub for owner\/name '/);
        assert.match(err.message, why);
        assert.ok(!err.message.includes('\0'), 'control characters are escaped in the message');
        return true;
      },
      JSON.stringify(rel),
    );
  }
  assert.equal(unsafeRelativePathReason(undefined), 'not a string');
  assert.equal(unsafeRelativePathReason(42), 'not a string');
});

test('resolveInsideReal refuses a symbolic link out of the folder, allows links inside it and to Hugging Face cache blobs', async () => {
  const base = mkdtempSync(join(tmpdir(), 'whittle-contained-'));
  const dir = join(base, 'model');
  const outside = join(base, 'outside');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret'), 'secret');
  writeFileSync(join(dir, 'real.bin'), 'x');
  symlinkSync(join(outside, 'secret'), join(dir, 'leak.bin'));
  symlinkSync(outside, join(dir, 'linked-dir'));
  symlinkSync('real.bin', join(dir, 'alias.bin'));
  symlinkSync(join(base, 'nowhere'), join(dir, 'dangling.bin'));
  const blobs = join(base, 'hub', 'models--acme--tiny', 'blobs');
  mkdirSync(blobs, { recursive: true });
  const blob = join(blobs, 'a'.repeat(64));
  writeFileSync(blob, 'weights');
  symlinkSync(blob, join(dir, 'cached.bin'));

  assert.equal(await resolveInsideReal(dir, 'real.bin', 't'), join(dir, 'real.bin'));
  assert.equal(await resolveInsideReal(dir, 'alias.bin', 't'), join(dir, 'alias.bin'));
  assert.equal(await resolveInsideReal(dir, 'sub/new/file', 't'), join(dir, 'sub/new/file'), 'paths that do not exist yet are fine');
  await assert.rejects(resolveInsideReal(dir, 'leak.bin', 'onnx location'), /onnx location 'leak\.bin' leads outside .* through a symbolic link/);
  await assert.rejects(resolveInsideReal(dir, 'linked-dir/secret', 't'), /symbolic link/);
  await assert.rejects(resolveInsideReal(dir, 'linked-dir/not-yet/file', 't'), /symbolic link/, 'a write through a linked folder is refused too');
  await assert.rejects(resolveInsideReal(dir, 'dangling.bin', 't'), /symbolic link to nothing/);
  await assert.rejects(resolveInsideReal(dir, 'cached.bin', 't'), /symbolic link/, 'cache blobs only when asked');
  assert.equal(await resolveInsideReal(dir, 'cached.bin', 't', { allowHfCacheBlobs: true }), join(dir, 'cached.bin'));
  await assert.rejects(resolveInsideReal(dir, 'leak.bin', 't', { allowHfCacheBlobs: true }), /symbolic link/);
  await assert.rejects(resolveInsideReal(dir, '../outside/secret', 't'), /has a "\.\." segment/);
  assert.ok(isHfCacheBlob(blob));
  assert.ok(!isHfCacheBlob(join(outside, 'secret')));
  assert.ok(!isHfCacheBlob(join(base, 'models--x', 'blobs', 'not-a-hash')));
});

test('commit ids from the Hub must be 40 hex digits', () => {
  const sha = '0123456789abcdef0123456789abcdef01234567';
  assert.equal(checkCommitSha(sha, 'o/n', 'the Hub at http://mirror'), sha);
  for (const bad of ['../../../victimdir', '..', '', 'main', sha.toUpperCase(), `${sha}0`, sha.slice(1), `${sha.slice(0, 39)}/`, `../${sha}`, null, 42]) {
    assert.throws(
      () => checkCommitSha(bad, 'o/n', 'the Hub at http://mirror'),
      (err: Error) =>
        err.name === 'UnsafeHubResponseError' &&
        err.message.startsWith(`the Hub at http://mirror returned commit sha '${String(bad)}' for o/n: not a 40-hex commit id`),
      String(bad),
    );
  }
});

test('repo ids follow huggingface_hub: no "..", no "--", no leading or trailing "." or "-"', () => {
  for (const ok of ['owner/name', 'bartowski/Llama-3.2-1B-Instruct-GGUF', 'a/b', 'Qwen/Qwen2.5-0.5B-Instruct', 'org_1/m.v2'])
    assert.equal(repoIdProblem(ok), null, ok);
  for (const bad of [
    '../..',
    '../x',
    'x/..',
    'x/.',
    './x',
    'o/a..b',
    'o--x/n',
    'o/n--m',
    '.hidden/x',
    'o/-n',
    'o/n.',
    'o/n.git',
    'o',
    'o/n/m',
    '/n',
    'o/',
    'o/n m',
    `o/${'a'.repeat(97)}`,
  ]) {
    assert.notEqual(repoIdProblem(bad), null, bad);
    assert.throws(() => checkRepoId(bad, 'pull'), new RegExp(`^InvalidInputError: pull: '.*' is not a valid Hub repo id`), bad);
  }
});

test('file paths listed by the Hub must be relative paths inside the repo', () => {
  assert.equal(checkRepoFilePath('sub/tiny.gguf', 'o/n', 'the Hub at http://m'), 'sub/tiny.gguf');
  for (const bad of ['../../../../../x/tiny.gguf', '/abs/tiny.gguf', 'C:\\x\\tiny.gguf', '..\\x.gguf', 'a//b.gguf', './a.gguf', 'a/', '', 'a\0b']) {
    assert.throws(
      () => checkRepoFilePath(bad, 'o/n', 'the Hub at http://m'),
      /^UnsafeHubResponseError: the Hub at http:\/\/m listed file '.*' in o\/n: the path .*; refusing to download it$/,
      JSON.stringify(bad),
    );
  }
});

test('hf: URIs refuse traversal in the repo id and the path, also URL-encoded', () => {
  for (const bad of [
    'hf:../../x',
    'hf:owner/..',
    'hf:../name',
    'hf:owner/name/../../x.gguf',
    'hf:owner/name/a\\..\\x.gguf',
    'https://huggingface.co/../../resolve/main/x.gguf',
    'https://huggingface.co/owner/name/resolve/main/%2e%2e/%2e%2e/x.gguf',
    'https://huggingface.co/owner/name/resolve/main/a%2F..%2F..%2Fx.gguf',
    'https://huggingface.co/owner/name/resolve/main/%2Fetc%2Fx.gguf',
    'hf:o--x/name',
  ]) {
    assert.throws(() => parseHfUri(bad), /valid owner\/name|invalid path in repo/, bad);
  }
  assert.deepEqual(parseHfUri('https://huggingface.co/owner/name/resolve/main/sub/x.gguf').path, 'sub/x.gguf');
});

test('model folder names (slugs) are never ".", ".." or hidden', () => {
  for (const name of ['..', '.', '...', '../..', './x', '-..']) {
    const slug = slugify(name);
    assert.ok(!slug.startsWith('.') && slug !== '' && !slug.includes('/'), `${name} -> ${slug}`);
  }
  assert.equal(slugify('SmolLM2 135M Q4_K_M'), 'SmolLM2-135M-Q4_K_M');
  assert.equal(slugify('qwen2.5-0.5b'), 'qwen2.5-0.5b');
});
