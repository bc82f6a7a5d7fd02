// The native benchmarks: `cargo bench --bench conditions` (audiences), `cargo bench --bench
// tracking` when benches/tracking.rs exists (batching policy and score), and the collector's
// store bench (SQLite's batched-insert ceiling). Their printed output goes into RESULTS.md
// as it is; compile output is kept apart.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './vendor.mjs';

function cargo(args, { env = {}, timeoutMs }) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn('cargo', args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c) => { stdout += c; });
    child.stderr.setEncoding('utf8').on('data', (c) => { stderr += c; if (stderr.length > 100000) stderr = stderr.slice(-50000); });
    const timer = setTimeout(() => { child.kill('SIGKILL'); stderr += `\n(killed after ${timeoutMs / 1000} s)`; }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ command: `cargo ${args.join(' ')}`, code, stdout: stdout.trimEnd(), stderr: stderr.trimEnd(), seconds: (Date.now() - started) / 1000 });
    });
  });
}

/** Runs each bench; `quick` shortens the store bench (the others have fixed budgets). */
export async function runNative({ quick, log = () => {} }) {
  const benches = [['bench', '--bench', 'conditions']];
  if (existsSync(path.join(ROOT, 'benches', 'tracking.rs'))) benches.push(['bench', '--bench', 'tracking']);
  else log('native: benches/tracking.rs does not exist yet; skipped');
  benches.push(['bench', '-p', 'engagekit-collector', '--bench', 'store']);
  const out = [];
  for (const args of benches) {
    // The collector's bench also builds its binary; with the release profile's
    // panic = "abort" that needs the engagekit lib twice (abort for the binary, unwind for the
    // bench), and the two builds' cdylib/rlib files collide in target/release (cargo issue
    // 6313), failing at random. So that bench builds with unwind everywhere, in a target
    // directory of its own, leaving target/release to scripts/build.sh.
    const env = args.includes('engagekit-collector')
      ? { CARGO_TARGET_DIR: path.join(ROOT, 'target', 'bench-native'), CARGO_PROFILE_RELEASE_PANIC: 'unwind' }
      : {};
    // Build first, so compile time is not mixed with the measurement and a broken build
    // is reported as such.
    const build = await cargo([...args, '--no-run'], { env, timeoutMs: 15 * 60 * 1000 });
    if (build.code !== 0) {
      out.push({ ...build, command: `cargo ${args.join(' ')}`, failed: 'build', tail: build.stderr.split('\n').slice(-15).join('\n') });
      log(`native: cargo ${args.join(' ')} did not build`);
      continue;
    }
    const r = await cargo(args, { env: { ...env, ...(quick ? { ENGAGEKIT_BENCH_SECS: '0.5' } : {}) }, timeoutMs: 10 * 60 * 1000 });
    r.buildSeconds = build.seconds;
    if (r.code !== 0) { r.failed = 'run'; r.tail = r.stderr.split('\n').slice(-15).join('\n'); }
    out.push(r);
    log(`native: ${r.command} (${r.seconds.toFixed(0)} s)${r.failed ? ' FAILED' : ''}\n${r.stdout.replace(/^/gm, '  ')}`);
  }
  return out;
}
