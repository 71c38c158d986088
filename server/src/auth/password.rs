//! Password hashing with Argon2id, off the async runtime.
//!
//! Hashing is deliberately slow (~tens of ms and 19 MiB each). It runs on a
//! small pool of dedicated threads (half the cores) at a low priority (nice
//! 10), so a login storm queues here and yields most of the CPU to the
//! requests that only check a token, instead of taking cores from them.

use std::sync::{Arc, Mutex, mpsc};

use anyhow::Context;
use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version,
    password_hash::SaltString,
};
use tokio::sync::oneshot;

use crate::{db::PasswordHashString, secrets::random_bytes};

type Job = Box<dyn FnOnce() + Send>;

/// Hashes and verifies passwords on a bounded pool of low-priority threads.
#[derive(Clone)]
pub struct PasswordHasherPool {
    jobs: mpsc::Sender<Job>,
    threads: usize,
    /// A hash string with our parameters, a random salt and a random output,
    /// verified against when the user is unknown so that both failures cost
    /// the same work (no password has that output).
    dummy: PasswordHashString,
}

impl std::fmt::Debug for PasswordHasherPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasherPool")
            .field("threads", &self.threads)
            .finish()
    }
}

/// OWASP's Argon2id baseline: m = 19 MiB, t = 2, p = 1.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

impl PasswordHasherPool {
    /// A pool of `threads` hashing threads (at least one).
    pub fn new(threads: usize) -> anyhow::Result<Self> {
        let threads = threads.max(1);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    lower_priority();
                    loop {
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return, // the pool was dropped
                        }
                    }
                })?;
        }
        Ok(Self {
            jobs,
            threads,
            dummy: dummy_hash()?,
        })
    }

    /// Runs `work` on a hashing thread and waits for its answer.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> anyhow::Result<T> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                // The request is gone (its client hung up, or timed out)
                // while the job queued: nobody would read the answer, so
                // don't spend 19 MiB and tens of ms on it.
                if tx.is_closed() {
                    return;
                }
                let _ = tx.send(work());
            }))
            .map_err(|_| anyhow::anyhow!("the hashing threads stopped"))?;
        rx.await
            .map_err(|_| anyhow::anyhow!("a hashing thread stopped"))
    }

    /// Hashes a new password.
    pub async fn hash(&self, password: String) -> anyhow::Result<PasswordHashString> {
        self.run(move || hash_blocking(&password)).await?
    }

    /// Whether `password` matches `stored`; with `None` (unknown user), checks
    /// against the dummy hash and answers `false`, after the same work.
    pub async fn verify(
        &self,
        password: String,
        stored: Option<PasswordHashString>,
    ) -> anyhow::Result<bool> {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy.clone());
        let matched = self
            .run(move || verify_blocking(&password, &hash))
            .await??;
        Ok(known && matched)
    }
}

/// The hashing threads' priority. A thread at nice 10 weighs about a tenth
/// of a request handler (nice 0) where both want the same core, so a storm of
/// logins leaves the token checks most of the CPU, and yet it is never
/// starved. Linux's idle class (`SCHED_IDLE`, used before) weighs 1/340: with
/// three other busy processes on this 2-core machine a registration took 17 s
/// instead of 30 ms; and a hashing thread preempted while it holds a lock
/// the process shares (the allocator's, or the kernel's on the address space
/// while it unmaps its 19 MiB) holds up every thread waiting for that lock
/// as long.
///
/// `thread_priority` maps its 0..=99 onto nice 19..=-20 on Linux; 22 is
/// nice 10 (a unit test reads the thread's nice level back).
#[cfg(target_os = "linux")]
const PRIORITY: u8 = 22;

/// Lowers the calling thread to nice 10 ([`PRIORITY`]; elsewhere than
/// Linux, to the lowest priority of its class). Best effort: where the OS
/// refuses, hashing still works at normal priority.
fn lower_priority() {
    #[cfg(not(target_os = "linux"))]
    let _ = thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Min);
    #[cfg(target_os = "linux")]
    {
        use thread_priority::{
            NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy,
            set_thread_priority_and_policy, thread_native_id,
        };
        let Ok(value) = PRIORITY.try_into() else {
            return;
        };
        let other = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Other);
        let _ = set_thread_priority_and_policy(
            thread_native_id(),
            ThreadPriority::Crossplatform(value),
            other,
        );
    }
}

/// What [`hash_blocking`] would store, with a random output in place of the
/// hash: built, not computed, so start-up runs no Argon2 (it used to, and a
/// busy machine left the idle-class thread waiting for the CPU while the
/// server could not answer yet).
fn dummy_hash() -> anyhow::Result<PasswordHashString> {
    use base64::{Engine, engine::general_purpose::STANDARD_NO_PAD};
    let salt =
        SaltString::encode_b64(&random_bytes::<16>()).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let params = argon2().params().clone();
    let output = STANDARD_NO_PAD.encode(random_bytes::<{ Params::DEFAULT_OUTPUT_LEN }>());
    Ok(PasswordHashString::new(format!(
        "$argon2id$v=19$m={},t={},p={}${}${output}",
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        salt.as_str(),
    )))
}

fn hash_blocking(password: &str) -> anyhow::Result<PasswordHashString> {
    let salt =
        SaltString::encode_b64(&random_bytes::<16>()).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let hash = argon2()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing: {e}"))?;
    Ok(PasswordHashString::new(hash.to_string()))
}

fn verify_blocking(password: &str, stored: &PasswordHashString) -> anyhow::Result<bool> {
    let parsed = PasswordHash::new(stored.as_str())
        .map_err(|e| anyhow::anyhow!("stored hash unreadable: {e}"))
        .context("verifying a password")?;
    // The parameters come from the stored string, so older hashes keep working.
    Ok(argon2()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let pool = PasswordHasherPool::new(1).unwrap();
        let hash = pool.hash("correct horse".into()).await.unwrap();
        assert!(hash.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            pool.verify("correct horse".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(!pool.verify("wrong horse".into(), Some(hash)).await.unwrap());
    }

    /// The scheduling policy and nice level of the calling thread, from
    /// `/proc/thread-self/stat` (fields 41 and 19).
    #[cfg(target_os = "linux")]
    fn policy_and_nice() -> (i32, i32) {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
        // Fields after the command name, which is in parentheses; the first
        // of them is field 3.
        let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 1..]
            .split_whitespace()
            .collect();
        (
            fields[41 - 3].parse().unwrap(),
            fields[19 - 3].parse().unwrap(),
        )
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_threads_run_at_nice_10_in_the_normal_class() {
        let pool = PasswordHasherPool::new(1).unwrap();
        let (policy, nice) = pool.run(policy_and_nice).await.unwrap();
        // SCHED_OTHER is 0; SCHED_IDLE (5) starves behind any busy process.
        assert_eq!((policy, nice), (0, 10));
        // The request handlers' threads are left as they were.
        assert_eq!(policy_and_nice(), (0, 0));
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies() {
        let pool = PasswordHasherPool::new(1).unwrap();
        assert!(!pool.verify("anything".into(), None).await.unwrap());
    }

    #[tokio::test]
    async fn the_dummy_costs_what_a_real_hash_costs() {
        // Same algorithm, version, parameters and lengths: verifying against
        // it runs the same Argon2 work as verifying a real password.
        let pool = PasswordHasherPool::new(1).unwrap();
        let real = pool.hash("correct horse".into()).await.unwrap();
        let (real, dummy) = (
            PasswordHash::new(real.as_str()).unwrap(),
            PasswordHash::new(pool.dummy.as_str()).unwrap(),
        );
        assert_eq!(dummy.algorithm, real.algorithm);
        assert_eq!(dummy.version, real.version);
        assert_eq!(dummy.params, real.params);
        assert_eq!(
            dummy.salt.unwrap().as_str().len(),
            real.salt.unwrap().as_str().len()
        );
        assert_eq!(dummy.hash.unwrap().len(), real.hash.unwrap().len());
        // A fresh pool has a fresh dummy.
        let other = PasswordHasherPool::new(1).unwrap();
        assert_ne!(other.dummy.as_str(), pool.dummy.as_str());
    }

    #[tokio::test]
    async fn a_job_whose_request_is_gone_is_skipped() {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::time::Duration;

        let pool = PasswordHasherPool::new(1).unwrap();
        // Hold the one hashing thread…
        let (release, held) = mpsc::channel::<()>();
        let (started, holds) = oneshot::channel();
        let holding = tokio::spawn({
            let pool = pool.clone();
            async move {
                pool.run(move || {
                    let _ = started.send(());
                    held.recv()
                })
                .await
            }
        });
        holds.await.unwrap();
        // …queue a job, and give up on it, as a request whose client hung up.
        let ran = Arc::new(AtomicBool::new(false));
        let abandoned = pool.run({
            let ran = ran.clone();
            move || ran.store(true, Ordering::SeqCst)
        });
        assert!(
            tokio::time::timeout(Duration::from_millis(50), abandoned)
                .await
                .is_err()
        );
        release.send(()).unwrap();
        holding.await.unwrap().unwrap().unwrap();
        // A job queued after it runs, so the abandoned one has had its turn.
        assert_eq!(pool.run(|| 7).await.unwrap(), 7);
        assert!(!ran.load(Ordering::SeqCst), "the abandoned job ran");
    }
}
