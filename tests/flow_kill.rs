//! Issue 13, acceptance: `kill -9` of the daemon at 30 random moments across the stages
//! of one scenario (fetch, classification, detection, escalation, alert e-mail), restarted
//! after each; at the end every mention, signal, escalation and e-mail exists exactly
//! once. Black box: only the binary, its config and its JSON output.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::flow::{Scenario, Setup, Stage};
use rand::{Rng, SeedableRng};

/// The sink answers 250 to the end of DATA this long after recording the message, so a
/// kill can land between the server's acceptance and our bookkeeping.
const SLOW_250_MS: u64 = 400;
const ROUNDS: usize = 10;
const KILLS_PER_ROUND: usize = 3;
const SEED: u64 = 13;
/// Old ordinary mentions beside the burst: enough that fetching and classifying take a
/// measurable part of the run, so kills land there too.
const CALM: usize = 1000;
/// Formal requests (a campaign of them): opening their escalations takes a measurable part
/// of classification, so kills land between a classification and its escalation too.
const FORMAL: usize = 300;

fn setup() -> Setup {
    Setup {
        lease: "1s",
        formal: FORMAL,
        calm: CALM,
        ..Setup::default()
    }
}

/// Runs the scenario once without any kill; returns how long it took to settle.
fn run_without_kills() -> (Duration, Scenario) {
    let s = Scenario::new(setup());
    s.sink
        .delay_250_ms
        .store(SLOW_250_MS, std::sync::atomic::Ordering::SeqCst);
    let t = Instant::now();
    let mut daemon = s.spawn_daemon(Some("control.log"));
    let snap = s.wait_for(30, |x| x.settled(false));
    let took = t.elapsed();
    common::flow::stop(&mut daemon, Duration::from_secs(30));
    let problems = snap.problems(false);
    assert!(
        problems.is_empty(),
        "the scenario itself is broken (no kill at all): {problems:#?}\n{}\nlogs:\n{}",
        snap.counts(),
        s.log("control.log")
    );
    (took, s)
}

#[cfg(unix)]
#[test]
fn the_scenario_without_kills_gives_everything_exactly_once() {
    let (took, s) = run_without_kills();
    let snap = s.snapshot();
    eprintln!("settled in {took:?}: {}", snap.counts());
    assert!(snap.resends().is_empty(), "{:?}", snap.resends());
    // Another round finds nothing new to do.
    s.run_once();
    let again = s.snapshot();
    assert!(
        again.problems(false).is_empty(),
        "{:#?}",
        again.problems(false)
    );
}

#[cfg(unix)]
#[test]
fn kill_9_at_thirty_moments_across_the_stages_loses_and_duplicates_nothing() {
    let started = Instant::now();
    // How long the scenario takes end to end here, so the kills spread over all of it.
    let (end_to_end, _) = run_without_kills();
    let span = end_to_end.as_millis() as u64 + 300;
    eprintln!("scenario settles in {end_to_end:?}; kills spread over {span} ms of daemon time");
    let mut rng = rand::rngs::StdRng::seed_from_u64(SEED);
    let mut landed: BTreeMap<Stage, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut resends = 0;
    for round in 0..ROUNDS {
        // Fresh installation per round; its kills at increasing moments of daemon time.
        let s = Scenario::new(setup());
        s.sink
            .delay_250_ms
            .store(SLOW_250_MS, std::sync::atomic::Ordering::SeqCst);
        let mut moments: Vec<u64> = (0..KILLS_PER_ROUND)
            .map(|_| rng.gen_range(0..span))
            .collect();
        moments.sort_unstable();
        let mut ran = 0;
        let mut stages = Vec::new();
        for at in moments {
            let mut daemon = s.spawn_daemon(None);
            std::thread::sleep(Duration::from_millis(at - ran));
            ran = at;
            daemon.kill().unwrap(); // SIGKILL
            daemon.wait().unwrap();
            let under_way = s.snapshot().stages();
            for stage in &under_way {
                *landed.entry(*stage).or_default() += 1;
            }
            stages.push((at, under_way));
        }
        // Then to completion: the lease of whatever was being sent runs out, one round.
        std::thread::sleep(Duration::from_millis(1100));
        s.run_once();
        let end = s.snapshot();
        let problems = end.problems(false);
        resends += end.resends().values().sum::<usize>();
        eprintln!(
            "round {round}: kills at {stages:?}; end: {}; resends {:?}",
            end.counts(),
            end.resends()
        );
        if !problems.is_empty() {
            failures.push(format!(
                "round {round} (kills at ms/stage {stages:?}): {problems:?}"
            ));
        }
    }
    eprintln!(
        "kills landed in (work under way at each kill): {landed:?}; same Message-ID received again after a kill: {resends}; {:?} in all",
        started.elapsed()
    );
    let stages_hit = landed.keys().filter(|s| **s != Stage::Done).count();
    assert!(
        stages_hit >= 3,
        "the kills landed in fewer than 3 stages, so they prove little: {landed:?}"
    );
    assert!(
        failures.is_empty(),
        "after kill -9 and restart, not everything exists exactly once:\n{}\nkills landed in: {landed:?}",
        failures.join("\n")
    );
}
