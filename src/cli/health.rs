//! `pinscope agenda` and `pinscope lint`: the health rules over the whole tracker, and the
//! duplicate-target check of `pinscope create`.

use std::io::IsTerminal;

use clap::Args;
use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::mirror_cmd::open_for_reading;
use super::output::Ndjson;
use super::{Connection, Failure, GlobalArgs, Outcome, Target, block_on, exit, note};
use crate::api::model::{ConflictKey, TargetType};
use crate::api::{Customization, ListQuery};
use crate::health::lint::lint_where;
use crate::health::{Filter, Period, PinIndex, Severity, agenda::event_json};

const TARGET_TYPES: [&str; 3] = ["item", "criteria", "all"];

/// The filters agenda and lint share (as `pinscope list`'s: OR within one, AND across).
#[derive(Debug, Clone, Default, Args)]
pub struct HealthFilters {
    /// Only this model (repeat for any of several)
    #[arg(long = "model", value_name = "M")]
    pub models: Vec<String>,
    /// Only customizations with this tag (repeat for any of several)
    #[arg(long = "tag", value_name = "T")]
    pub tags: Vec<String>,
    /// Only this target type (repeat for any of several)
    #[arg(long = "target-type", value_name = "T", value_parser = TARGET_TYPES)]
    pub target_types: Vec<String>,
    /// Only this target identity (repeat for any of several)
    #[arg(long = "target-identity", value_name = "I")]
    pub target_identities: Vec<String>,
    /// Only customizations with a pin for this widget (repeat for any of several)
    #[arg(long = "widget", value_name = "W")]
    pub widgets: Vec<String>,
}

impl HealthFilters {
    pub fn to_filter(&self) -> Filter {
        Filter {
            models: self.models.clone(),
            tags: self.tags.clone(),
            target_types: self
                .target_types
                .iter()
                .filter_map(|t| TargetType::parse(t))
                .collect(),
            target_identities: self.target_identities.clone(),
            widgets: self.widgets.clone(),
        }
    }
}

#[derive(Debug, Args)]
pub struct AgendaArgs {
    /// The next N days from now [default: 7]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=3660),
          conflicts_with_all = ["from", "to"])]
    pub days: Option<u32>,
    /// The window's start (a date as the editor reads it: 2025-02-01, 2025-02-01 14:00,
    /// today, -2d, an RFC 3339 date-time)
    #[arg(long, value_name = "WHEN", requires = "to", allow_hyphen_values = true)]
    pub from: Option<String>,
    /// The window's end (excluded), as --from
    #[arg(
        long,
        value_name = "WHEN",
        requires = "from",
        allow_hyphen_values = true
    )]
    pub to: Option<String>,
    #[command(flatten)]
    pub filters: HealthFilters,
    /// Sync the local mirror from the service first
    #[arg(long)]
    pub sync: bool,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    #[command(flatten)]
    pub filters: HealthFilters,
    /// Sync the local mirror from the service first
    #[arg(long)]
    pub sync: bool,
    /// Exit 3 when a finding is at or above this severity
    #[arg(long, value_name = "SEVERITY", default_value = "error",
          value_parser = ["error", "warning", "info"])]
    pub fail_on: String,
}

/// The user's time zone (`TZ`, else the system's; UTC when neither is readable).
fn time_zone() -> TimeZone {
    TimeZone::try_system().unwrap_or(TimeZone::UTC)
}

/// Every stored customization of the profile's tracker, from the mirror (synced first with
/// `--sync`, or when it never was): the one place agenda and lint read the tracker from.
fn tracker(target: &Target, conn: &Connection, sync: bool) -> Result<Vec<Customization>, Failure> {
    let mirror = open_for_reading(target, conn, sync)?;
    let mut out = Vec::new();
    mirror.for_each_customization(|stored| {
        if let Some(c) = stored.customization() {
            out.push(c);
        }
        Ok::<(), Failure>(())
    })?;
    Ok(out)
}

/// The window `pinscope agenda` asks for.
pub fn period(a: &AgendaArgs, now: Timestamp, tz: &TimeZone) -> Result<Period, Failure> {
    match (&a.from, &a.to) {
        (Some(from), Some(to)) => {
            let read = |flag: &str, text: &str| {
                crate::when::parse_input(text, now, tz)
                    .map_err(|e| Failure::usage(format!("--{flag}: {e}")))
            };
            Period::new(read("from", from)?, read("to", to)?).map_err(Failure::usage)
        }
        _ => Period::next_days(now, tz, a.days.unwrap_or(7)).map_err(Failure::usage),
    }
}

/// `pinscope agenda`: NDJSON, one pin start or end a line, in time order.
pub fn agenda(g: &GlobalArgs, a: AgendaArgs) -> Outcome {
    let tz = time_zone();
    let now = Timestamp::now();
    let period = period(&a, now, &tz)?;
    let target = Target::open(g)?;
    let conn = target.connect()?;
    let scopes = tracker(&target, &conn, a.sync)?;
    let filter = a.filters.to_filter();
    let index = PinIndex::build_where(&scopes, |c| filter.matches(c));
    let agenda = index.agenda(period, now, &tz);
    let mut out = Ndjson::stdout();
    for e in &agenda.events {
        out.write(&event_json(e, &scopes[e.scope], &tz))?;
    }
    out.finish()?;
    if std::io::stderr().is_terminal() {
        let c = agenda.counts;
        note(&format!(
            "{} starting, {} ending; {} active now, {} expired",
            c.starting, c.ending, c.active_now, c.expired
        ));
    }
    Ok(())
}

/// `pinscope lint`: NDJSON findings, most severe first; exit 3 when one is at or above
/// `--fail-on`.
pub fn lint(g: &GlobalArgs, a: LintArgs) -> Outcome {
    let fail_on = Severity::parse(&a.fail_on)
        .ok_or_else(|| Failure::usage(format!("unknown severity {:?}", a.fail_on)))?;
    let target = Target::open(g)?;
    let conn = target.connect()?;
    let scopes = tracker(&target, &conn, a.sync)?;
    let filter = a.filters.to_filter();
    let findings = if filter.is_empty() {
        crate::health::lint::lint(&scopes, Timestamp::now())
    } else {
        lint_where(&scopes, Timestamp::now(), |c| filter.matches(c))
    };
    let mut out = Ndjson::stdout();
    for f in &findings {
        out.write(&f.to_json())?;
    }
    out.finish()?;
    let failing = findings.iter().filter(|f| f.severity() >= fail_on).count();
    if failing > 0 {
        return Err(Failure::new(
            exit::INVALID,
            format!(
                "{failing} finding{} at or above {fail_on}",
                if failing == 1 { "" } else { "s" }
            ),
        ));
    }
    Ok(())
}

/// The stored customizations with the same target (conflict key) as `c`.
pub async fn same_target(
    client: &crate::api::Client,
    c: &Customization,
) -> Result<Vec<String>, crate::api::ApiError> {
    let Some(key) = c.conflict_key() else {
        return Ok(Vec::new());
    };
    let mut q = ListQuery {
        models: vec![key.model.clone()],
        target_types: vec![key.target_type.as_str().to_string()],
        ..ListQuery::default()
    };
    match key.target_type {
        TargetType::Item => q.target_identities = vec![key.target.clone()],
        TargetType::Criteria => {
            if let Some(criteria) = c.target_criteria() {
                q.criteria = vec![criteria.clone()];
            }
        }
        TargetType::All => {}
    }
    let found = client.list_all(&q).await?;
    Ok(found
        .iter()
        .filter(|s| s.conflict_key().as_ref() == Some(&key))
        .filter_map(|s| s.id().map(str::to_string))
        .collect())
}

/// Refuses a create whose target is already stored (exit 3), naming the stored ids.
pub fn refuse_duplicate_target(conn: &Connection, c: &Customization) -> Outcome {
    let held = block_on(same_target(&conn.client, c))?.map_err(|e| Failure::api(&e))?;
    if held.is_empty() {
        return Ok(());
    }
    let key = c
        .conflict_key()
        .map_or_else(String::new, |k: ConflictKey| k.to_string());
    Err(Failure::invalid(format!(
        "the target {key} is already stored as {}; nothing was sent (pass \
         --allow-duplicate-target to create another customization with this target)",
        held.join(", ")
    )))
}
