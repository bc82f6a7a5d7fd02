//! The wasm's global allocator: lol_alloc's free list instead of std's dlmalloc, which is
//! about 8 KB raw (3 KB gzipped) of each build for allocation patterns this small module
//! never has (many threads, huge blocks).
//!
//! A free list never returns memory to the host (wasm memory cannot shrink anyway) and
//! coalesces freed neighbours, which suits the short-lived strings and vectors of each call.

use lol_alloc::{AssumeSingleThreaded, FreeListAllocator};

// SAFETY: `AssumeSingleThreaded` is sound only where no two threads can allocate at once.
// wasm32-unknown-unknown without the `atomics` target feature (how this crate is built:
// scripts/build.sh sets no target features) has exactly one thread and no shared memory,
// so every allocation runs on it.
#[allow(unsafe_code)]
#[global_allocator]
static ALLOCATOR: AssumeSingleThreaded<FreeListAllocator> =
    unsafe { AssumeSingleThreaded::new(FreeListAllocator::new()) };
