//! The wasm's global allocator: talc instead of std's dlmalloc, which is about 8 KB raw
//! (2.5 KB gzipped) of each build for allocation patterns this module never has (many
//! threads, huge blocks).
//!
//! Not lol_alloc's smaller free list (0.5 KB gzipped less): its first-fit search carves small
//! blocks out of the large ones that a growing queue string frees, so the next large block
//! never fits, and with a 2 MB queue the memory grew by megabytes per `track()` until the tab
//! ran out (measured: 424 MB after 6,000 calls, then a trap; dlmalloc and talc stay near
//! 10 MB). talc keeps memory within a few MB of dlmalloc's in the same runs.
//!
//! `new_wasm_dynamic_allocator` is safe to call: it only compiles for wasm without the
//! `atomics` feature, which has one thread, so the allocator's unsynchronised state is sound.

#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
