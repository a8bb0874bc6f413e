//! The login limit, and the bound on password hashing.
//!
//! An attempt is counted *before* its password is checked, under the same lock as the
//! check, so concurrent attempts cannot all slip under the limit. It is counted per
//! account-and-address and per address (with a higher limit), never per account alone:
//! wrong passwords from one address must not lock the account's owner out everywhere.
//! Keys are hashes (a long e-mail costs no more memory than a short one) and the table is
//! bounded. Argon2 takes about 19 MiB per check, so only a few checks run at once.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tokio::sync::{Semaphore, SemaphorePermit};

/// Longest e-mail address accepted (RFC 5321 path limit); longer ones are refused before
/// anything else.
pub const MAX_EMAIL: usize = 254;

/// Most keys the limiter remembers.
const MAX_KEYS: usize = 100_000;

type Key = [u8; 32];

/// The two keys one login attempt is counted under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keys {
    account: Key,
    address: Key,
}

impl Keys {
    /// Keys of an attempt on `email` (trimmed, lowercased here) from `ip` (IPv6 per /64).
    pub fn new(email: &str, ip: IpAddr) -> Keys {
        let email = email.trim().to_lowercase();
        let address = client_address(ip);
        let hash = |parts: &[&str]| -> Key {
            let mut h = Sha256::new();
            for p in parts {
                // Length-prefixed, so no two different tuples hash the same input.
                h.update((p.len() as u64).to_be_bytes());
                h.update(p.as_bytes());
            }
            h.finalize().into()
        };
        Keys {
            account: hash(&["account", &email, &address]),
            address: hash(&["address", &address]),
        }
    }
}

/// IPv6 clients are limited per /64, which is what one household or office gets.
fn client_address(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v) => v.to_string(),
        IpAddr::V6(v) => match v.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// A counted attempt. Dropping it keeps it counted (a wrong password); [`Limiter::refund`]
/// gives it back when the password was not checked, [`Limiter::succeeded`] when it was right.
#[derive(Debug)]
#[must_use = "an attempt is settled with fail, refund or succeeded"]
pub struct Attempt {
    keys: Keys,
    at: Instant,
}

/// Login attempts per key in a sliding window.
#[derive(Debug)]
pub struct Limiter {
    account_max: usize,
    address_max: usize,
    window: Duration,
    max_keys: usize,
    attempts: Mutex<HashMap<Key, VecDeque<Instant>>>,
}

impl Limiter {
    /// At most `account_max` attempts per account-and-address and `address_max` per
    /// address within `window`.
    pub fn new(account_max: u32, address_max: u32, window: Duration) -> Limiter {
        Limiter::bounded(account_max, address_max, window, MAX_KEYS)
    }

    fn bounded(account_max: u32, address_max: u32, window: Duration, max_keys: usize) -> Limiter {
        Limiter {
            account_max: account_max.max(1) as usize,
            address_max: address_max.max(1) as usize,
            window,
            max_keys: max_keys.max(2),
            attempts: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an attempt now, or says how long to wait when a key is at its limit.
    pub fn begin(&self, keys: &Keys, now: Instant) -> Result<Attempt, Duration> {
        let mut map = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = None;
        for (key, max) in [
            (&keys.account, self.account_max),
            (&keys.address, self.address_max),
        ] {
            if let Some(v) = map.get_mut(key) {
                while v
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.window)
                {
                    v.pop_front();
                }
                if v.len() >= max {
                    let oldest = v.front().copied().unwrap_or(now);
                    let w = self.window.saturating_sub(now.duration_since(oldest));
                    wait = wait.max(Some(w));
                }
            }
        }
        if let Some(w) = wait {
            return Err(w.max(Duration::from_secs(1)));
        }
        let needed = [keys.account, keys.address]
            .iter()
            .filter(|k| !map.contains_key(*k))
            .count();
        self.make_room(&mut map, now, needed);
        for key in [keys.account, keys.address] {
            map.entry(key).or_default().push_back(now);
        }
        Ok(Attempt {
            keys: *keys,
            at: now,
        })
    }

    /// Makes room for `needed` new keys: forgets keys whose attempts are all past the
    /// window, then, under a flood of fresh keys, the least recently seen, a tenth of the
    /// table at once so that a flood pays for this rarely.
    fn make_room(&self, map: &mut HashMap<Key, VecDeque<Instant>>, now: Instant, needed: usize) {
        let limit = self.max_keys.saturating_sub(needed);
        if map.len() <= limit {
            return;
        }
        let window = self.window;
        map.retain(|_, v| v.back().is_some_and(|t| now.duration_since(*t) < window));
        if map.len() <= limit {
            return;
        }
        let keep = limit.saturating_sub(self.max_keys / 10);
        let mut by_age: Vec<(Instant, Key)> = map
            .iter()
            .filter_map(|(k, v)| v.back().map(|t| (*t, *k)))
            .collect();
        let evict = by_age.len().saturating_sub(keep);
        if evict == 0 {
            return;
        }
        by_age.select_nth_unstable_by_key(evict - 1, |(t, _)| *t);
        for (_, k) in &by_age[..evict] {
            map.remove(k);
        }
    }

    /// The password was right: forgets the account's failures from this address and gives
    /// the address its slot back.
    pub fn succeeded(&self, attempt: Attempt) {
        let mut map = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&attempt.keys.account);
        remove_one(&mut map, &attempt.keys.address, attempt.at);
    }

    /// The password was not checked (no hashing slot, a database error): the attempt does
    /// not count.
    pub fn refund(&self, attempt: Attempt) {
        let mut map = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        remove_one(&mut map, &attempt.keys.account, attempt.at);
        remove_one(&mut map, &attempt.keys.address, attempt.at);
    }

    /// The password was wrong: the attempt stays counted.
    pub fn fail(&self, attempt: Attempt) {
        let Attempt { .. } = attempt;
    }

    /// How many keys are remembered.
    pub fn len(&self) -> usize {
        self.attempts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    /// Whether no key is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn remove_one(map: &mut HashMap<Key, VecDeque<Instant>>, key: &Key, at: Instant) {
    if let Some(v) = map.get_mut(key) {
        if let Some(i) = v.iter().rposition(|t| *t == at) {
            v.remove(i);
        }
        if v.is_empty() {
            map.remove(key);
        }
    }
}

/// Password checks allowed at once.
pub const HASHING_SLOTS: usize = 4;

type Job = Box<dyn FnOnce() + Send>;

/// A bound on concurrent password checks: each argon2 check holds about 19 MiB, and a
/// flood of them must not take the daemon's memory. Checks run on a few threads of their
/// own, not tokio's blocking pool: the allocator keeps a freed 19 MiB block resident in
/// the arena of the thread that used it, so every new thread running a check would add its
/// own block to the peak.
#[derive(Debug)]
pub struct Hashing {
    slots: Semaphore,
    wait: Duration,
    jobs: std::sync::mpsc::SyncSender<Job>,
}

impl Hashing {
    /// `slots` checks at once on as many threads; a check waits at most `wait` for a slot.
    pub fn new(slots: usize, wait: Duration) -> Hashing {
        let slots = slots.max(1);
        let (jobs, queue) = std::sync::mpsc::sync_channel::<Job>(slots);
        let queue = std::sync::Arc::new(Mutex::new(queue));
        for i in 0..slots {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("vigie-password-{i}"))
                .spawn(move || loop {
                    // The lock is held while waiting, so one idle thread waits at a time.
                    let job = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    match job {
                        // A panicking check must not take its thread down with it.
                        Ok(job) => {
                            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                        }
                        // The state is gone: so is this thread.
                        Err(_) => break,
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password check thread");
            }
        }
        Hashing {
            slots: Semaphore::new(slots),
            wait,
            jobs,
        }
    }

    /// A slot, or None when all stayed busy for the whole wait.
    pub async fn slot(&self) -> Option<Slot<'_>> {
        let permit = tokio::time::timeout(self.wait, self.slots.acquire())
            .await
            .ok()?
            .ok()?;
        Some(Slot {
            _permit: permit,
            jobs: &self.jobs,
        })
    }
}

/// The right to run one password check.
#[derive(Debug)]
pub struct Slot<'a> {
    _permit: SemaphorePermit<'a>,
    jobs: &'a std::sync::mpsc::SyncSender<Job>,
}

impl Slot<'_> {
    /// Runs `f` on a password check thread; None if it could not run (queue full, panic).
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .try_send(Box::new(move || {
                let _ = tx.send(f());
            }))
            .ok()?;
        rx.await.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_account_is_limited_per_address_only() {
        let l = Limiter::new(3, 10, Duration::from_secs(60));
        let t0 = Instant::now();
        let here = Keys::new("Resp@Example.be ", ip("192.0.2.1"));
        for i in 0..3 {
            l.fail(l.begin(&here, t0).unwrap_or_else(|_| panic!("attempt {i}")));
        }
        let wait = l.begin(&here, t0 + Duration::from_secs(1)).unwrap_err();
        assert!(wait <= Duration::from_secs(59) && wait > Duration::from_secs(50));
        // The same account from elsewhere, and another account from here, still try.
        let elsewhere = Keys::new("resp@example.be", ip("198.51.100.7"));
        l.succeeded(l.begin(&elsewhere, t0).unwrap());
        let other = Keys::new("other@example.be", ip("192.0.2.1"));
        l.fail(l.begin(&other, t0).unwrap());
        // After the window, the account tries again from here.
        assert!(l.begin(&here, t0 + Duration::from_secs(61)).is_ok());
    }

    #[test]
    fn an_address_has_its_own_higher_limit() {
        let l = Limiter::new(2, 4, Duration::from_secs(60));
        let t0 = Instant::now();
        for i in 0..4 {
            let k = Keys::new(&format!("u{i}@example.be"), ip("192.0.2.1"));
            l.fail(l.begin(&k, t0).unwrap());
        }
        let k = Keys::new("u9@example.be", ip("192.0.2.1"));
        assert!(l.begin(&k, t0).is_err());
        // IPv6 per /64.
        let l = Limiter::new(5, 1, Duration::from_secs(60));
        l.fail(
            l.begin(&Keys::new("a@b.c", ip("2001:db8:1:2::1")), t0)
                .unwrap(),
        );
        assert!(l
            .begin(&Keys::new("d@b.c", ip("2001:db8:1:2::ff")), t0)
            .is_err());
        assert!(l
            .begin(&Keys::new("d@b.c", ip("2001:db8:1:3::1")), t0)
            .is_ok());
    }

    #[test]
    fn refunds_and_successes_give_slots_back() {
        let l = Limiter::new(1, 2, Duration::from_secs(60));
        let t0 = Instant::now();
        let k = Keys::new("a@b.c", ip("192.0.2.1"));
        l.refund(l.begin(&k, t0).unwrap());
        assert!(l.is_empty());
        l.succeeded(l.begin(&k, t0).unwrap());
        l.succeeded(l.begin(&k, t0).unwrap());
        l.succeeded(l.begin(&k, t0).unwrap());
        assert!(l.is_empty(), "a good login leaves nothing behind");
        l.fail(l.begin(&k, t0).unwrap());
        assert!(l.begin(&k, t0).is_err());
    }

    #[test]
    fn keys_are_fixed_size_hashes_and_the_table_is_bounded() {
        let l = Limiter::bounded(5, 50, Duration::from_secs(60), 100);
        let t0 = Instant::now();
        for i in 0..1000u32 {
            let email = format!("{i}{}", "x".repeat(200));
            let addr = IpAddr::from(i.to_be_bytes());
            let at = t0 + Duration::from_millis(i.into());
            l.fail(l.begin(&Keys::new(&email, addr), at).unwrap());
            assert!(l.len() <= 100, "{} keys after {i}", l.len());
        }
        // The most recent attempt is still counted.
        let k = Keys::new(
            &format!("999{}", "x".repeat(200)),
            IpAddr::from(999u32.to_be_bytes()),
        );
        assert_eq!(
            l.attempts.lock().unwrap().get(&k.account).map(|v| v.len()),
            Some(1)
        );
    }

    #[tokio::test]
    async fn hashing_slots_are_bounded_and_run_on_their_own_threads() {
        let h = Hashing::new(2, Duration::from_millis(20));
        let a = h.slot().await.unwrap();
        let _b = h.slot().await.unwrap();
        assert!(
            h.slot().await.is_none(),
            "a third check waits, then gives up"
        );
        let name = a
            .run(|| std::thread::current().name().map(str::to_string))
            .await
            .unwrap();
        assert!(name.unwrap().starts_with("vigie-password-"));
        assert_eq!(a.run(|| -> u8 { panic!("in a check") }).await, None);
        assert_eq!(a.run(|| 7).await, Some(7), "the thread survived the panic");
        drop(a);
        assert!(h.slot().await.is_some());
    }
}
