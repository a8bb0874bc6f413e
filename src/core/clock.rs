//! The clock the stages are given: the system's in the daemon, a simulated one in
//! `vigie replay` and in tests, so both run the same stages.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

/// What time it is for the stages.
#[derive(Debug, Clone)]
pub struct Clock {
    simulated: Option<Arc<Mutex<DateTime<Utc>>>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock { simulated: None }
    }

    /// A simulated clock starting at `at`; it moves only when set.
    pub fn simulated(at: DateTime<Utc>) -> Clock {
        Clock {
            simulated: Some(Arc::new(Mutex::new(at))),
        }
    }

    /// Now.
    pub fn now(&self) -> DateTime<Utc> {
        match &self.simulated {
            None => Utc::now(),
            Some(t) => *t.lock().unwrap_or_else(|e| e.into_inner()),
        }
    }

    /// Moves a simulated clock to `at` (never backwards); the system clock ignores it.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Some(t) = &self.simulated {
            let mut t = t.lock().unwrap_or_else(|e| e.into_inner());
            if at > *t {
                *t = at;
            }
        }
    }
}
