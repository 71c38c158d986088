//! How the process asks glibc's allocator to give memory back.
//!
//! A login hashes with Argon2 in a 19 MiB block. glibc serves a block that
//! large with `mmap` and returns it on `free`, but it also *raises* its mmap
//! threshold to the size of every such block it frees, so from the second
//! login on the 19 MiB comes from an arena and stays resident after the storm
//! (BENCHMARKS.md measured 142 MiB after a login storm). Fixing the threshold
//! turns that adjustment off: every Argon2 block is mapped for its hash and
//! unmapped after it, at the price of faulting its pages in again (small
//! beside the hash, which writes every page anyway).

/// Large allocations (Argon2's blocks, big response buffers) are mapped and
/// unmapped on their own above this size; below it the arenas serve them.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 256 * 1024;

/// Applies the settings above, once at start-up, before the first login.
/// A `MALLOC_MMAP_THRESHOLD_` in the environment (glibc's own variable) is
/// left to win, for measuring. Elsewhere than glibc this does nothing.
pub fn return_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
        // SAFETY: mallopt only sets a parameter of the allocator; it is
        // thread-safe and any value is accepted or refused (returns 0).
        #[expect(
            unsafe_code,
            reason = "glibc's mallopt has no safe binding; the one unsafe call in the workspace"
        )]
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        }
    }
}
