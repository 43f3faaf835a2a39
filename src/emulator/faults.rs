//! Fault injection: a share of requests answered 429/500/503 without being applied, cut off
//! after being applied, or delayed.
//!
//! The spec is `429=0.04,500=0.03,503=0.03,drop=0.03,delay-ms=0..200`: each status or `drop`
//! takes the share of requests (0 to 1) it applies to; the shares add up to at most 1.
//! `delay-ms` is a range `a..b` (or one number) of milliseconds added to every request.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

/// Which faults to inject, and how often.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Faults {
    /// Share of requests answered `429 Too Many Requests` with `Retry-After: 1`, not applied.
    pub too_many: f64,
    /// Share answered `500 Internal Server Error`, not applied.
    pub internal: f64,
    /// Share answered `503 Service Unavailable`, not applied.
    pub unavailable: f64,
    /// Share applied and then cut off: the connection closes with no answer.
    pub drop: f64,
    /// A random delay, in milliseconds (inclusive range), added to every request.
    pub delay_ms: Option<(u64, u64)>,
}

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Served normally.
    None,
    /// Answered with this status (429, 500 or 503) without being applied.
    Reject(u16),
    /// Applied, then the connection is closed without an answer.
    Drop,
}

impl Faults {
    /// No faults at all.
    pub fn none() -> Self {
        Faults::default()
    }

    pub fn is_none(&self) -> bool {
        *self == Faults::default()
    }

    fn total(&self) -> f64 {
        self.too_many + self.internal + self.unavailable + self.drop
    }
}

/// Why a fault spec was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid fault spec {spec:?}: {message}")]
pub struct FaultSpecError {
    pub spec: String,
    pub message: String,
}

impl FromStr for Faults {
    type Err = FaultSpecError;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let err = |message: String| FaultSpecError {
            spec: spec.to_string(),
            message,
        };
        let mut f = Faults::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((key, value)) = part.split_once('=') else {
                return Err(err(format!(
                    "{part:?} is not KEY=VALUE (keys: 429, 500, 503, drop, delay-ms)"
                )));
            };
            let (key, value) = (key.trim(), value.trim());
            let share = || -> Result<f64, FaultSpecError> {
                match value.parse::<f64>() {
                    Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
                    _ => Err(err(format!(
                        "{key}={value}: the share must be a number from 0 to 1"
                    ))),
                }
            };
            match key {
                "429" => f.too_many = share()?,
                "500" => f.internal = share()?,
                "503" => f.unavailable = share()?,
                "drop" => f.drop = share()?,
                "delay-ms" | "delay_ms" | "delay" => {
                    let bad = || {
                        err(format!(
                            "delay-ms={value}: expected milliseconds as A..B or a single number"
                        ))
                    };
                    let (a, b) = match value.split_once("..") {
                        Some((a, b)) => (a.trim(), b.trim().trim_start_matches('=')),
                        None => (value, value),
                    };
                    let a: u64 = a.parse().map_err(|_| bad())?;
                    let b: u64 = b.parse().map_err(|_| bad())?;
                    if a > b {
                        return Err(err(format!(
                            "delay-ms={value}: the range is empty ({a} > {b})"
                        )));
                    }
                    if b > 600_000 {
                        return Err(err(format!(
                            "delay-ms={value}: at most 600000 ms (10 minutes)"
                        )));
                    }
                    f.delay_ms = Some((a, b));
                }
                other => {
                    return Err(err(format!(
                        "unknown key {other:?} (keys: 429, 500, 503, drop, delay-ms)"
                    )));
                }
            }
        }
        if f.total() > 1.0 + 1e-9 {
            return Err(err(format!(
                "the shares add up to {:.3}, more than 1",
                f.total()
            )));
        }
        Ok(f)
    }
}

impl fmt::Display for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        for (k, v) in [
            ("429", self.too_many),
            ("500", self.internal),
            ("503", self.unavailable),
            ("drop", self.drop),
        ] {
            if v > 0.0 {
                parts.push(format!("{k}={v}"));
            }
        }
        if let Some((a, b)) = self.delay_ms {
            parts.push(format!("delay-ms={a}..{b}"));
        }
        if parts.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&parts.join(","))
        }
    }
}

/// The faults in force and the random sequence that picks them. Every request draws exactly
/// two numbers, so with a seed the sequence of outcomes is the same on every run.
#[derive(Debug)]
pub struct FaultDice {
    faults: Faults,
    rng: SmallRng,
}

impl FaultDice {
    pub fn new(faults: Faults, seed: Option<u64>) -> Self {
        let rng = match seed {
            Some(s) => SmallRng::seed_from_u64(s),
            None => SmallRng::from_rng(&mut rand::rng()),
        };
        FaultDice { faults, rng }
    }

    pub fn faults(&self) -> Faults {
        self.faults
    }

    pub fn set_faults(&mut self, faults: Faults) {
        self.faults = faults;
    }

    /// Picks the fate of the next request and its extra delay.
    pub fn roll(&mut self) -> (Fault, Duration) {
        let r: f64 = self.rng.random();
        let d: f64 = self.rng.random();
        let f = &self.faults;
        let mut edge = 0.0;
        let mut fault = Fault::None;
        for (share, outcome) in [
            (f.too_many, Fault::Reject(429)),
            (f.internal, Fault::Reject(500)),
            (f.unavailable, Fault::Reject(503)),
            (f.drop, Fault::Drop),
        ] {
            edge += share;
            if r < edge {
                fault = outcome;
                break;
            }
        }
        let delay = match f.delay_ms {
            Some((a, b)) => {
                let ms = a + ((b - a + 1) as f64 * d).floor() as u64;
                Duration::from_millis(ms.min(b))
            }
            None => Duration::ZERO,
        };
        (fault, delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_spec() {
        let f: Faults = "429=0.04,500=0.03,503=0.03,drop=0.03,delay-ms=0..200"
            .parse()
            .expect("valid");
        assert_eq!(
            f,
            Faults {
                too_many: 0.04,
                internal: 0.03,
                unavailable: 0.03,
                drop: 0.03,
                delay_ms: Some((0, 200)),
            }
        );
        assert_eq!(
            f.to_string(),
            "429=0.04,500=0.03,503=0.03,drop=0.03,delay-ms=0..200"
        );
        assert_eq!("".parse::<Faults>(), Ok(Faults::none()));
        assert_eq!(
            "delay-ms=50".parse::<Faults>().map(|f| f.delay_ms),
            Ok(Some((50, 50)))
        );
    }

    #[test]
    fn bad_specs_say_why() {
        for (spec, needle) in [
            ("429", "not KEY=VALUE"),
            ("429=2", "from 0 to 1"),
            ("429=x", "from 0 to 1"),
            ("404=0.1", "unknown key \"404\""),
            ("delay-ms=5..1", "range is empty"),
            ("delay-ms=a..b", "milliseconds"),
            ("429=0.6,500=0.6", "more than 1"),
        ] {
            let e = spec.parse::<Faults>().expect_err(spec);
            assert!(e.to_string().contains(needle), "{spec}: {e}");
        }
    }

    #[test]
    fn a_seed_repeats_the_sequence_and_shares_hold() {
        let f: Faults = "429=0.1,500=0.1,503=0.1,drop=0.1,delay-ms=5..10"
            .parse()
            .expect("valid");
        let mut a = FaultDice::new(f, Some(7));
        let mut b = FaultDice::new(f, Some(7));
        let xs: Vec<_> = (0..2000).map(|_| a.roll()).collect();
        let ys: Vec<_> = (0..2000).map(|_| b.roll()).collect();
        assert_eq!(xs, ys);
        for want in [
            Fault::Reject(429),
            Fault::Reject(500),
            Fault::Reject(503),
            Fault::Drop,
        ] {
            let n = xs.iter().filter(|(f, _)| *f == want).count();
            assert!((120..=280).contains(&n), "{want:?}: {n} of 2000");
        }
        let none = xs.iter().filter(|(f, _)| *f == Fault::None).count();
        assert!((1000..=1400).contains(&none), "{none}");
        assert!(xs.iter().all(|(_, d)| (5..=10).contains(&d.as_millis())));
        assert!(xs.iter().any(|(_, d)| d.as_millis() == 5));
        assert!(xs.iter().any(|(_, d)| d.as_millis() == 10));
    }

    #[test]
    fn certain_faults() {
        let mut d = FaultDice::new("500=1".parse().expect("valid"), None);
        assert!((0..100).all(|_| d.roll() == (Fault::Reject(500), Duration::ZERO)));
        let mut d = FaultDice::new(Faults::none(), None);
        assert!((0..100).all(|_| d.roll().0 == Fault::None));
    }
}
