import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setupDom, type Component, type Dom, type DomElement } from './dom-harness';

interface InlineEditProps {
  value: string;
  onSave: (value: string) => unknown;
  label: string;
  validate?: (value: string) => string | null;
  editLabel?: string;
  testId?: string;
}

let dom: Dom;
let InlineEdit: Component<InlineEditProps>;
before(async () => {
  dom = await setupDom();
  ({ InlineEdit } = await dom.component<{ InlineEdit: typeof InlineEdit }>('renderer/src/components/InlineEdit.tsx'));
});
after(() => dom?.close());

interface Deferred {
  resolve: () => void;
  reject: (e: Error) => void;
}

/**
 * An InlineEdit whose value is the parent's state, updated when a save resolves. `saves` records every call;
 * `pending` holds each save's promise controls unless `settle` answers at once.
 */
async function mount(options: { value?: string; settle?: 'resolve' | 'reject'; validate?: InlineEditProps['validate'] } = {}) {
  const saves: string[] = [];
  const pending: Deferred[] = [];
  function Host() {
    const [value, setValue] = dom.useState(options.value ?? 'Tiny llama');
    const onSave = (next: string): Promise<void> => {
      saves.push(next);
      if (options.settle === 'resolve') {
        setValue(next);
        return Promise.resolve();
      }
      if (options.settle === 'reject') return Promise.reject(new Error('the engine said no'));
      return new Promise<void>((resolve, reject) => pending.push({ resolve: () => (setValue(next), resolve()), reject }));
    };
    return dom.h(InlineEdit, { value, onSave, label: 'Model name', validate: options.validate, editLabel: 'Rename', testId: 'name' });
  }
  const view = await dom.render(dom.h(Host));
  const q = (id: string): DomElement | null => view.container.querySelector(`[data-testid="${id}"]`);
  return { ...view, saves, pending, q };
}

test('a click turns the text into a field holding it; Enter saves, shows Saving… until the save ends, then the new text', async () => {
  const { q, saves, pending, unmount } = await mount();
  assert.equal(q('name')!.textContent, 'Tiny llama');
  assert.equal(q('name-input'), null);

  await dom.click(q('name')!);
  const input = q('name-input') as DomElement & { value: string; readOnly: boolean };
  assert.ok(input, 'the field is open');
  assert.equal(input.value, 'Tiny llama');
  assert.equal(dom.document.activeElement, input, 'the field has the focus');

  await dom.type(input, 'Tiny llama F16');
  await dom.key(input, 'Enter');
  assert.deepEqual(saves, ['Tiny llama F16']);
  assert.ok(q('name-saving'), 'Saving… shows while the save runs');
  assert.equal((q('name-input') as typeof input).readOnly, true, 'the text cannot change while it is being saved');

  await dom.act(() => pending[0]!.resolve());
  assert.equal(q('name-input'), null, 'the field closed');
  assert.equal(q('name-saving'), null);
  assert.equal(q('name')!.textContent, 'Tiny llama F16');
  await unmount();
});

test('Escape cancels: nothing is saved and the old text is back', async () => {
  const { q, saves, unmount } = await mount({ settle: 'resolve' });
  await dom.click(q('name-edit')!);
  await dom.type(q('name-input')!, 'Something else');
  await dom.key(q('name-input')!, 'Escape');
  assert.equal(q('name-input'), null);
  assert.equal(q('name')!.textContent, 'Tiny llama');
  assert.deepEqual(saves, []);
  await unmount();
});

test('a failed save keeps the field open with the text as typed and shows the error', async () => {
  const { q, saves, unmount } = await mount({ settle: 'reject' });
  await dom.click(q('name')!);
  await dom.type(q('name-input')!, 'Taken name');
  await dom.key(q('name-input')!, 'Enter');
  assert.deepEqual(saves, ['Taken name']);
  const input = q('name-input') as (DomElement & { value: string }) | null;
  assert.ok(input, 'still editing');
  assert.equal(input.value, 'Taken name', 'the edited text is kept');
  assert.equal(input.getAttribute('aria-invalid'), 'true');
  assert.equal(q('name-error')!.textContent, 'the engine said no');
  assert.equal(q('name-saving'), null);

  // Typing again clears the error.
  await dom.type(input, 'Free name');
  assert.equal(q('name-error'), null);
  await unmount();
});

test('validate blocks the save and says why; unchanged text closes without saving', async () => {
  const validate = (v: string): string | null => (v.trim() ? null : 'A model needs a name.');
  const { q, saves, unmount } = await mount({ settle: 'resolve', validate });
  await dom.click(q('name')!);
  await dom.type(q('name-input')!, '   ');
  await dom.key(q('name-input')!, 'Enter');
  assert.deepEqual(saves, []);
  assert.equal(q('name-error')!.textContent, 'A model needs a name.');
  assert.ok(q('name-input'), 'still editing');

  await dom.type(q('name-input')!, 'Tiny llama');
  await dom.key(q('name-input')!, 'Enter');
  assert.deepEqual(saves, [], 'the same text is not saved again');
  assert.equal(q('name-input'), null);
  await unmount();
});

test('leaving the field saves; F2 or Enter on the focused text opens it', async () => {
  const { q, saves, unmount } = await mount({ settle: 'resolve' });
  await dom.focus(q('name')!);
  await dom.key(q('name')!, 'F2');
  assert.ok(q('name-input'), 'F2 opens the field');
  await dom.type(q('name-input')!, 'Renamed on blur');
  await dom.blur(q('name-input')!);
  assert.deepEqual(saves, ['Renamed on blur']);
  assert.equal(q('name')!.textContent, 'Renamed on blur');

  await dom.focus(q('name')!);
  await dom.key(q('name')!, 'Enter');
  assert.ok(q('name-input'), 'Enter opens the field');
  await dom.key(q('name-input')!, 'Escape');
  assert.deepEqual(saves, ['Renamed on blur'], 'the blur that closing causes does not save');
  await unmount();
});
