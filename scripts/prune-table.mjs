// Empties the functions that sit in the wasm's function table only because the linker put
// them there, so that wasm-opt can drop them and what they call (scripts/build.sh runs this
// between wasm-bindgen and wasm-opt):
// - wasm-bindgen's closure adapters (`wasm_bindgen::convert::closures::invoke`): their
//   descriptors take their table index, and wasm-bindgen deletes the descriptors but not the
//   table entries. The module makes no `Closure`, and JS cannot call into the table (it is
//   not exported);
// - the JSPI task waker of js-sys 0.3.107 (`#[no_mangle] __wbg_jspi_task_poll` keeps its
//   vtable; wasm-bindgen deletes the export, not the table entries);
// - the `Display`/`Debug` impls whose address panics take for their messages. The panic
//   handler (src/web/mod.rs) traps without formatting, so nothing can call them: this fails
//   if `core::fmt::write`, the one caller of a formatting vtable, is in the module.
// Between them ~3.9 KB of raw wasm (`Formatter::pad` and the integer formatting among it),
// ~1.6 KB gzip. Each becomes `unreachable` at the same table index, and the run fails if any
// is reached other than through the table (a direct call, `ref.func`, an export), or if a
// function table is exported.
//
//   node scripts/prune-table.mjs <module_bg.wasm>   (rewritten in place)
import binaryen from 'binaryen';
import { readFileSync, writeFileSync } from 'node:fs';

const [path] = process.argv.slice(2);
const fail = (message) => {
  console.error(`prune-table: ${path}: ${message}`);
  process.exit(1);
};
if (!path) fail('usage: node scripts/prune-table.mjs <module_bg.wasm>');

const DEAD = /wasm_bindgen::convert::closures::.*invoke|js_sys::futures::jspi::task_waker::raw_| as core(\[[0-9a-f]+\])?::fmt::(Display|Debug)>::fmt/;

const module = binaryen.readBinary(readFileSync(path));
const F = binaryen.Features;
module.setFeatures(F.BulkMemory | F.NontrappingFPToInt | F.SignExt | F.MutableGlobals | F.ReferenceTypes | F.Multivalue);
for (let i = 0; i < module.getNumExports(); i++) {
  const e = binaryen.getExportInfo(module.getExportByIndex(i));
  if (e.kind === binaryen.ExternalTable && e.name !== '__wbindgen_externrefs') fail(`the table ${e.name} is exported`);
}
const dead = [];
for (let i = 0; i < module.getNumFunctions(); i++) {
  const f = binaryen.getFunctionInfo(module.getFunctionByIndex(i));
  if (/core(\[[0-9a-f]+\])?::fmt::write\b/.test(f.name)) fail(`${f.name} is in the module: formatting can run`);
  if (f.module === '' && DEAD.test(f.name)) dead.push(f);
}
if (dead.length === 0) fail('no function to empty: the names changed (is the name section there?)');

// Each name may appear where it is defined and in the table's element segment, nowhere else.
const text = module.emitText();
const lines = text.split('\n');
for (const f of dead) {
  for (const line of lines) {
    if (!line.includes(f.name)) continue;
    const t = line.trimStart();
    if (t.startsWith('(func ') || t.startsWith('(elem ')) continue;
    fail(`${f.name} is used other than through the table: ${t.slice(0, 120)}`);
  }
}
for (const f of dead) {
  module.removeFunction(f.name);
  module.addFunction(f.name, f.params, f.results, [], module.unreachable());
}
binaryen.setDebugInfo(true); // keep the name section for the next step's reports
writeFileSync(path, module.emitBinary());
module.dispose();
console.log(`prune-table: ${path}: ${dead.length} table-only functions emptied`);
