// A node:test reporter that ends the run with one plain line, `tests: N passed, N failed, N skipped`,
// counting leaf tests only (suites are not tests).
export default async function* summary(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    if (event.data.details?.type === 'suite') continue;
    if (event.data.skip || event.data.todo) skipped++;
    else if (event.type === 'test:pass') passed++;
    else failed++;
  }
  yield `tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`;
}
