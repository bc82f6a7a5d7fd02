// Prints the gzipped size of each shipped file and fails when a budget is exceeded.
// Budgets: the loader every page runs first; each build of the module with its glue (a page
// loads one of them: engagekit_core to track, engagekit_widgets when the site has widgets).
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import { gzipSync } from 'node:zlib';

const kb = (n) => (n / 1024).toFixed(1) + ' KB';
const gz = (f) => gzipSync(readFileSync(f), { level: 9 }).length;
const raw = (f) => readFileSync(f).length;
const loader = 'dist/engagekit.js';
const builds = {
  core: ['dist/engagekit_core.js', 'dist/engagekit_core_bg.wasm'],
  widgets: ['dist/engagekit_widgets.js', 'dist/engagekit_widgets_bg.wasm'],
};
console.log('sizes (gzip -9):');
for (const f of [loader, ...builds.core, ...builds.widgets]) {
  console.log(`  ${f.padEnd(32)} ${kb(raw(f)).padStart(9)} raw  ${kb(gz(f)).padStart(8)} gzipped`);
}
const sum = (files) => files.reduce((n, f) => n + gz(f), 0);
const budgets = [
  ['loader', gz(loader), 1.5 * 1024],
  ['core: glue + wasm', sum(builds.core), 45 * 1024],
  ['widgets: glue + wasm', sum(builds.widgets), 60 * 1024],
];
let over = 0;

// No build-machine path may ship (scripts/build.sh remaps them): the repo, $HOME,
// $CARGO_HOME and the cargo registry say who built it where, and cost bytes.
const dirs = [process.cwd(), dirname(process.cwd()), homedir(), process.env.CARGO_HOME];
const machinePaths = [...new Set(dirs.filter((d) => d && d !== '/').map((d) => d.replace(/\/?$/, '/')))];
machinePaths.push('/registry/src/');
for (const f of [loader, ...builds.core, ...builds.widgets]) {
  const text = readFileSync(f).toString('latin1');
  for (const p of machinePaths) {
    if (text.includes(p)) {
      over++;
      console.log(`  ${f} contains the build-machine path ${p}`);
    }
  }
}
for (const [name, size, budget] of budgets) {
  const ok = size <= budget;
  if (!ok) over++;
  console.log(`  ${name.padEnd(32)} ${kb(size)} of ${kb(budget)} budget ${ok ? 'ok' : 'OVER BUDGET'}`);
}
process.exit(over ? 1 : 0);
