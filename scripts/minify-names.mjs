// Makes wasm-bindgen's glue match a wasm whose import, export and module names wasm-opt has
// minified (`--minify-imports-and-exports-and-modules`): `__wbg_getItem_49556a3e59cfb688`
// becomes `s`, `init` becomes `oa`, the module `./engagekit_core_bg.js` becomes `a`. Those
// names are ~2 KB of each wasm and most of them again in the glue, and compress badly (a hash
// each). The JS API of the glue (init, track, ..., decide, viewed, and the default export)
// keeps its names: only the glue's private wiring to the wasm changes.
//
//   node scripts/minify-names.mjs <minified.wasm> <map printed by wasm-opt> <glue.js>
//
// Rewrites the glue in place, before esbuild, then instantiates the wasm with it in node so
// that a missing or misnamed import fails the build rather than a visitor's page.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [wasmPath, mapPath, gluePath] = process.argv.slice(2);
if (!gluePath) {
  console.error('usage: node scripts/minify-names.mjs <minified.wasm> <names map> <glue.js>');
  process.exit(2);
}
const fail = (message) => {
  console.error(`minify-names: ${gluePath}: ${message}`);
  process.exit(1);
};

// wasm-opt prints {"imports": [[module, name, new], ...], "exports": [[name, new], ...]}.
const printed = readFileSync(mapPath, 'utf8');
const map = JSON.parse(printed.slice(printed.indexOf('{'), printed.lastIndexOf('}') + 1));
const bytes = readFileSync(wasmPath);
const module = new WebAssembly.Module(bytes);
const modules = new Set(WebAssembly.Module.imports(module).map((i) => i.module));
if (modules.size !== 1) fail(`expected the wasm to import from one module, found ${[...modules]}`);
const [newModule] = modules;

let glue = readFileSync(gluePath, 'utf8');
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
// Replaces the one match of `pattern` (global) with what `f` makes of it.
const once = (pattern, f, what) => {
  let n = 0;
  glue = glue.replace(pattern, (...m) => (n++, f(...m)));
  if (n !== 1) fail(`expected ${what} once in the glue, found it ${n} times`);
};

// The import object: its module key, and one `name: function` key per import. wasm-bindgen
// imports a JS snippet's function (`inline_js` in src/web/page.rs) from the snippet's own
// module when it needs no conversion; all modules are one after minifying, so those imports
// move into the main module's object, taken from the snippet's namespace import.
const main = (map.imports.find(([m]) => m.endsWith('_bg.js')) || [])[0];
if (!main) fail('no import from the wasm-bindgen module');
once(new RegExp(`(["'])${esc(main)}\\1(\\s*:)`, 'g'), (_, q, colon) => `"${newModule}"${colon}`, `the module key ${main}`);
const moved = [];
for (const [m, name, short] of map.imports) {
  if (m === main) {
    const key = new RegExp(`^(\\s+)(["']?)${esc(name)}\\2(\\s*:)`, 'gm');
    once(key, (_, indent, q, colon) => `${indent}"${short}"${colon}`, `the import ${name}`);
  } else {
    const ns = glue.match(new RegExp(`["']${esc(m)}["']\\s*:\\s*([\\w$]+)`));
    if (!ns) fail(`no namespace for the module ${m}`);
    moved.push(`"${short}": ${ns[1]}.${name},`);
  }
}
for (const m of new Set(map.imports.map(([m]) => m).filter((m) => m !== main))) {
  glue = glue.replace(new RegExp(`^\\s*["']${esc(m)}["']\\s*:\\s*[\\w$]+,?\\n`, 'gm'), '');
}
if (moved.length) once(/(const import0 = \{\s*__proto__: null,)/g, (_, head) => `${head}\n${moved.join('\n')}`, 'the main import object');

// Imports wasm-opt found unused (e.g. behind functions scripts/prune-table.mjs emptied) are
// dropped from the glue: each is one `name: function(...) {...},` entry, or for an import
// that may throw, `name: function() { return handleError(function (...) {...}, arguments); },`.
let dropped = 0;
const imported = new Set(map.imports.map(([, name]) => name));
glue = glue.replace(
  /^(\s+)(__wbg_[\w$]*_[0-9a-f]{16}): function\([^)]*\) \{(?: return handleError\(function \([^)]*\) \{)?\n[\s\S]*?\n\1\}(?:, arguments\); \})?,\n/gm,
  (entry, _, name) => (imported.has(name) ? entry : (dropped++, '')),
);

// Every use of an export goes through the `wasm` object of the instance's exports.
const exports = new Map(map.exports);
glue = glue.replace(/(?<![\w$.])wasm\.([A-Za-z_$][\w$]*)/g, (_, name) => {
  if (!exports.has(name)) fail(`wasm.${name} is not an export of the wasm`);
  return `wasm.${exports.get(name)}`;
});
// The module's API is one object, `api`, filled when the wasm starts: a wasm-bindgen
// wrapper that only passes its arguments on and returns what it got (almost all of them:
// they take and return JS values) is replaced by the wasm's own export, from a list of
// `name:export` pairs; the few that convert keep their function. ~0.2 KB gzip a build
// (a wrapper, and its getter in the bundle's namespace object, cost ~45 bytes each).
const direct = [];
const wrapped = [];
glue = glue
  .replace(
    /^export function ([\w$]+)\(([^)]*)\) \{\n\s+(?:const ret = )?wasm\.([\w$]+)\(\2\);\n(?:\s+return ret;\n)?\}\n/gm,
    (_, name, args, short) => (direct.push(`${name}:${short}`), ''),
  )
  .replace(/^export function ([\w$]+)/gm, (_, name) => (wrapped.push(name), `function ${name}`));
if (!direct.length) fail('no export passes its arguments straight on: has wasm-bindgen changed its wrappers?');
once(
  /^(function __wbg_finalize_init\(instance, module\) \{\n[\s\S]*?\n)(\s+)(return wasm;\n\})/gm,
  (_, head, indent, tail) =>
    `${head}${indent}for (const pair of ${JSON.stringify(direct.join(' '))}.split(' ')) {
${indent}    const [name, short] = pair.split(':');
${indent}    api[name] = wasm[short];
${indent}}
${indent}Object.assign(api, { ${wrapped.join(', ')} });
${indent}${tail}`,
  "wasm-bindgen's finalize_init",
);
once(/^export \{ initSync, __wbg_init as default \};$/gm, (line) => `export const api = {};\n${line}`, 'the export list');

const left = glue.match(/__wbg_[\w$]*_[0-9a-f]{16}\b/);
if (left) fail(`${left[0]} was not renamed`);

// The proof: instantiate the wasm with the rewritten glue's imports (nothing is called but
// wasm-bindgen's start function, which fills the externref table).
// Imported from a file beside the glue, so that its snippets' relative imports resolve.
const check = gluePath.replace(/\.js$/, '.check.mjs');
writeFileSync(check, glue);
const glueModule = await import(pathToFileURL(resolve(check)).href);
rmSync(check);
try {
  glueModule.initSync({ module });
} catch (e) {
  fail(`the minified wasm does not instantiate with the rewritten glue: ${e.message}`);
}

// What ships: the glue without `initSync`, which only the proof above calls (www/host.js
// starts the module with the default export, which streams the wasm), ~0.15 KB gzip a build.
let synced = 0;
glue = glue
  .replace(/^function initSync\(module\) \{\n[\s\S]*?\n\}\n/m, () => (synced++, ''))
  .replace(/^export \{ initSync, __wbg_init as default \};$/m, () => (synced++, 'export { __wbg_init as default };'));
if (synced !== 2) fail('expected initSync and its export once each in the glue');

// And a shorter start: wasm-bindgen's handles a path, a Request, bytes, a Module and the
// deprecated positional form, and explains a wrong MIME type in a paragraph. Ours is called
// two ways: the loader passes `{module_or_path: fetch(...)}`, the compile chunk nothing (its
// own file beside the glue). Streams the wasm, or, where that fails (no
// `instantiateStreaming`, or a server that does not say `application/wasm`), instantiates
// the bytes; a failed fetch rejects. ~0.4 KB gzip a build.
once(
  /^async function __wbg_load\(module, imports\) \{\n[\s\S]*?\nasync function __wbg_init_once\(module_or_path\) \{\n[\s\S]*?module_or_path = new URL\('([\w.]+)', import\.meta\.url\);[\s\S]*?\n\}\n/gm,
  (_, file) => `let __wbg_started;
function __wbg_init(arg) {
    return __wbg_started || (__wbg_started = (async () => {
        const imports = __wbg_get_imports();
        const response = await (arg ? arg.module_or_path : fetch(new URL('${file}', import.meta.url)));
        if (!response.ok) throw new Error('failed to fetch ' + response.url + ': ' + response.status);
        let made;
        try {
            made = await WebAssembly.instantiateStreaming(response, imports);
        } catch (e) {
            if (response.bodyUsed) throw e;
            made = await WebAssembly.instantiate(await response.arrayBuffer(), imports);
        }
        return __wbg_finalize_init(made.instance, made.module);
    })());
}
`,
  "wasm-bindgen's init functions",
);
// wasm-bindgen's passStringToWasm0 stays as it is (an ASCII loop straight into the wasm's
// memory, encodeInto for the rest). Encoding each string whole with TextEncoder.encode was
// 0.18 KB smaller, but it made a run of track() calls with 1,000 events queued cost 130-190 µs
// a call instead of 15-26 (`npm run bench`'s queue phase).
writeFileSync(gluePath, glue);
console.log(`minify-names: ${gluePath}: ${map.imports.length} imports (${dropped} unused dropped), ${map.exports.length} exports, module "${newModule}"`);
