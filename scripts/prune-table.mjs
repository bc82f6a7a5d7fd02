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
// Exports the glue never calls, so that wasm-opt can drop what only they reach: wasm-bindgen's
// free (no string goes out that JS frees) and its abort handler. scripts/minify-names.mjs
// fails the build if the glue uses one.
for (const name of ['__wbindgen_free', '__abort_handler', '__instance_terminated']) {
  if (module.getExport(name)) module.removeExport(name);
}

// core::fmt's table of digit pairs ("00" to "99", 200 B that gzip cannot shrink) is read
// only by the integer formatting emptied above: zeroed too, once no function left after
// dead code is removed names an address in it (the wasm's own numbers are written by
// src/text.rs, without a table).
const digits = Buffer.from(Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0')).join(''), 'latin1');
let table = -1;
for (let i = 0; i < module.getNumDataSegments(); i++) {
  const seg = module.getDataSegmentInfo(module.getDataSegmentByIndex(i));
  const at = seg.passive ? -1 : Buffer.from(seg.data).indexOf(digits);
  if (at >= 0) table = seg.offset + at;
}
binaryen.setDebugInfo(true); // keep the name section for the next step's reports
const out = Buffer.from(module.emitBinary());
module.dispose();
if (table >= 0) {
  const live = binaryen.readBinary(out);
  live.setFeatures(F.BulkMemory | F.NontrappingFPToInt | F.SignExt | F.MutableGlobals | F.ReferenceTypes | F.Multivalue);
  live.runPasses(['remove-unused-module-elements']);
  const code = live.emitText().replace(/^\s*\(data\b.*$/gm, '');
  live.dispose();
  for (const [, n] of code.matchAll(/(?:i32\.const |offset=)(\d+)/g)) {
    if (Number(n) >= table && Number(n) < table + digits.length) table = -1;
  }
}

// The texts only a panic message holds: source paths of panic locations (std's, a crate's,
// ours) and core's and alloc's message pieces. The panic handler traps without reading its
// message, and nothing can format one (checked above), so no code reads them; they stay
// where they are (every offset holds) as zeros, which gzip takes for nearly nothing:
// ~0.25 KB gzip a build.
const PANIC_TEXTS = new RegExp(
  [
    String.raw`/rustc/[0-9a-f]{40}/library/[\w/]+\.rs`,
    String.raw`(crates|engagekit|cargo)/[\w./-]+\.rs`,
    ...[
      'slice index starts at ', ' but ends at ', 'range start index ', 'range end index ',
      ' out of range for slice of length ', 'memory allocation of ', ' bytes failed',
      'capacity overflow', 'Tried to shrink to a larger capacity',
      'closure invoked recursively or after being dropped', 'RefCell already mutably borrowed',
      'RefCell already borrowed',
      ...(table >= 0 ? [digits.toString('latin1')] : []),
    ].map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
  ].join('|'),
  'g',
);
let zeroed = 0;
const leb = (at) => {
  let n = 0;
  for (let shift = 0; ; shift += 7) {
    const b = out[at++];
    n += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [n, at];
  }
};
for (let at = 8; at < out.length; ) {
  const id = out[at];
  const [size, body] = leb(at + 1);
  if (id === 11) {
    for (const m of out.toString('latin1', body, body + size).matchAll(PANIC_TEXTS)) {
      out.fill(0, body + m.index, body + m.index + m[0].length);
      zeroed += m[0].length;
    }
  }
  at = body + size;
}
writeFileSync(path, out);
console.log(`prune-table: ${path}: ${dead.length} table-only functions emptied, ${zeroed} B of panic texts${table >= 0 ? ' and digit pairs' : ''} zeroed`);
