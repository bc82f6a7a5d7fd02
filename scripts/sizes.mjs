// Prints the gzipped size of each shipped file and fails when a budget is exceeded.
// Budgets (issue 2): loader ≤ 1.5 KB gzipped; glue + wasm ≤ 45 KB gzipped.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const kb = (n) => (n / 1024).toFixed(1) + ' KB';
const gz = (f) => gzipSync(readFileSync(f), { level: 9 }).length;
const raw = (f) => readFileSync(f).length;
const files = ['dist/engagekit.js', 'dist/engagekit_core.js', 'dist/engagekit_core_bg.wasm'];
console.log('sizes (gzip -9):');
for (const f of files) console.log(`  ${f.padEnd(30)} ${kb(raw(f)).padStart(9)} raw  ${kb(gz(f)).padStart(8)} gzipped`);
const budgets = [
  ['loader', gz(files[0]), 1.5 * 1024],
  ['glue + wasm', gz(files[1]) + gz(files[2]), 45 * 1024],
];
let over = 0;
for (const [name, size, budget] of budgets) {
  const ok = size <= budget;
  if (!ok) over++;
  console.log(`  ${name.padEnd(30)} ${kb(size)} of ${kb(budget)} budget ${ok ? 'ok' : 'OVER BUDGET'}`);
}
process.exit(over ? 1 : 0);
