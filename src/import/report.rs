//! Per-line outcomes, their counts, and the NDJSON report.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::api::json::{Doc, Json, JsonObject};
use crate::api::model::{ConflictStrategy, conflict_key_of};
use crate::import::event::ExistingMode;
use crate::import::reader::{Content, LineReader};
use crate::import::scan::LineState;
use crate::import::scan::{Checked, Plan, check_content};

/// What became of one non-blank line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Created,
    Replaced,
    /// Kept the stored customization (`ignore`), or superseded by / a repeat of another line.
    Skipped,
    /// Refused, locally or by the server; the reason says which.
    Rejected,
    /// Never applied: cancelled, or its chunk failed for good.
    NotSent,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Replaced => "replaced",
            Outcome::Skipped => "skipped",
            Outcome::Rejected => "rejected",
            Outcome::NotSent => "not_sent",
        }
    }

    pub(crate) fn of_state(s: LineState) -> Option<Outcome> {
        Some(match s {
            LineState::Blank => return None,
            LineState::Created => Outcome::Created,
            LineState::Replaced => Outcome::Replaced,
            LineState::SkippedExisting | LineState::DupSkipped => Outcome::Skipped,
            LineState::Invalid | LineState::DupRejected | LineState::Rejected => Outcome::Rejected,
            // Pending only remains for a line nobody got to: not sent.
            LineState::Pending | LineState::NotSent => Outcome::NotSent,
        })
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Outcome counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Counts {
    pub created: u64,
    pub replaced: u64,
    pub skipped: u64,
    pub rejected: u64,
    pub not_sent: u64,
}

impl Counts {
    pub fn add(&mut self, o: Outcome) {
        *match o {
            Outcome::Created => &mut self.created,
            Outcome::Replaced => &mut self.replaced,
            Outcome::Skipped => &mut self.skipped,
            Outcome::Rejected => &mut self.rejected,
            Outcome::NotSent => &mut self.not_sent,
        } += 1;
    }

    pub fn total(&self) -> u64 {
        self.created + self.replaced + self.skipped + self.rejected + self.not_sent
    }

    /// Every line went as asked: nothing rejected, nothing left unsent.
    pub fn all_ok(&self) -> bool {
        self.rejected == 0 && self.not_sent == 0
    }
}

/// The end of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportTotals {
    pub input: String,
    pub strategy: ConflictStrategy,
    /// Non-blank lines (each has exactly one outcome).
    pub lines: u64,
    pub counts: Counts,
    pub chunks: usize,
    /// Requests sent by this run (bulk creates, retries included).
    pub requests: u64,
    pub retries: u64,
    /// Lines settled by an earlier run of a resumed import.
    pub resumed_lines: u64,
    #[serde(serialize_with = "secs")]
    pub elapsed: Duration,
    pub existing: Option<ExistingMode>,
    /// Why the run stopped before the end (cancelled, or a failure no retry fixes).
    pub stopped: Option<String>,
    pub cancelled: bool,
    /// The stop came from the service refusing everything (401, 404...), before any line
    /// was applied.
    pub service_failed: bool,
    pub report: Option<PathBuf>,
    pub journal: Option<PathBuf>,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// Every line's outcome after a run, with the reasons that are not derived from the plan.
#[derive(Debug, Clone)]
pub struct Outcomes {
    pub(crate) strategy: ConflictStrategy,
    pub(crate) states: Vec<LineState>,
    pub(crate) reasons: HashMap<u32, Arc<str>>,
    pub(crate) winners: HashMap<u32, u32>,
    /// The id of what each line created or replaced, when the run looked them up (it does
    /// when it records the history).
    pub(crate) ids: LineIds,
}

/// The id of what each line created or replaced. A UUID takes 20 bytes a line here, so a
/// million-line import keeps its ids in about 20 MB; a map of strings took four times that
/// and carried the import past its 100 MB budget (`benches/import-rss.sh`). An id that is
/// not a UUID in its canonical form is kept as it came.
#[derive(Debug, Default, Clone)]
pub struct LineIds {
    /// (line, UUID), sorted by line once [`LineIds::sort`] has run.
    uuids: Vec<(u32, [u8; 16])>,
    other: HashMap<u32, Arc<str>>,
}

impl LineIds {
    pub fn insert(&mut self, line: u32, id: &str) {
        match uuid::Uuid::try_parse(id) {
            Ok(u) if canonical(&u) == id => self.uuids.push((line, *u.as_bytes())),
            _ => {
                self.other.insert(line, Arc::from(id));
            }
        }
    }

    /// Orders the ids by line; [`LineIds::get`] needs it. A line recorded twice keeps
    /// the later id.
    pub fn sort(&mut self) {
        // Reversed first, the stable sort puts a line's latest id first among its own,
        // and dedup keeps the first: all in place, no second copy of a million ids.
        self.uuids.reverse();
        self.uuids.sort_by_key(|(line, _)| *line);
        self.uuids.dedup_by_key(|(line, _)| *line);
    }

    /// The id of `line`, once sorted.
    pub fn get(&self, line: u32) -> Option<String> {
        if let Some(id) = self.other.get(&line) {
            return Some(id.to_string());
        }
        let i = self.uuids.binary_search_by_key(&line, |(l, _)| *l).ok()?;
        Some(canonical(&uuid::Uuid::from_bytes(self.uuids[i].1)))
    }

    pub fn len(&self) -> usize {
        self.uuids.len() + self.other.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn canonical(u: &uuid::Uuid) -> String {
    u.hyphenated().to_string()
}

pub(crate) const EXISTING_KEPT: &str =
    "a customization with this target is stored and was kept (conflict_strategy=ignore)";

impl Outcomes {
    /// The id of what `line` created or replaced, when it is known.
    pub fn id(&self, line: u64) -> Option<String> {
        self.ids.get(u32::try_from(line).ok()?)
    }

    /// The outcome of `line` (1-based); `None` for a blank line or past the end.
    pub fn outcome(&self, line: u64) -> Option<Outcome> {
        let i = usize::try_from(line.checked_sub(1)?).ok()?;
        Outcome::of_state(*self.states.get(i)?)
    }

    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for s in &self.states {
            if let Some(o) = Outcome::of_state(*s) {
                c.add(o);
            }
        }
        c
    }

    /// Lines with `outcome`, in order.
    pub fn lines_with(&self, outcome: Outcome) -> impl Iterator<Item = u64> + '_ {
        self.states
            .iter()
            .enumerate()
            .filter(move |(_, s)| Outcome::of_state(**s) == Some(outcome))
            .map(|(i, _)| i as u64 + 1)
    }

    /// Why `line` ended as it did, when there is more to say than its outcome. Local
    /// validation reasons are recomputed from the input (they are not kept in memory).
    pub fn reason(&self, plan: &Plan, line: u64) -> Option<String> {
        let i = usize::try_from(line.checked_sub(1)?).ok()?;
        let s = *self.states.get(i)?;
        if s == LineState::Invalid {
            let v = plan.line_reasons(line).ok()?;
            return Some(crate::api::validate::describe(&v));
        }
        self.reason_without_input(line as u32, s)
    }

    fn reason_without_input(&self, line: u32, s: LineState) -> Option<String> {
        match s {
            LineState::DupSkipped | LineState::DupRejected => {
                let w = self.winners.get(&line)?;
                Some(match (s, self.strategy) {
                    (LineState::DupRejected, _) => format!(
                        "same target as line {w}, which is sent first (conflict_strategy=raise)"
                    ),
                    (_, ConflictStrategy::Override) => {
                        format!(
                            "superseded by line {w}, which has the same target (conflict_strategy=override)"
                        )
                    }
                    _ => format!(
                        "same target as line {w}, which is sent instead (conflict_strategy=ignore keeps the first)"
                    ),
                })
            }
            LineState::SkippedExisting => Some(EXISTING_KEPT.to_string()),
            LineState::Rejected | LineState::NotSent => {
                self.reasons.get(&line).map(|r| r.to_string())
            }
            LineState::Pending => Some("not sent".into()),
            // Blank lines have no outcome; invalid ones are explained from the input;
            // created and replaced need no reason.
            LineState::Blank | LineState::Invalid | LineState::Created | LineState::Replaced => {
                None
            }
        }
    }
}

#[derive(Serialize)]
struct ReportLine<'a> {
    line: u64,
    outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

/// Reads the input from the start through positional reads (the plan's file is shared).
struct ReadFrom<'a> {
    file: &'a File,
    pos: u64,
}

impl Read for ReadFrom<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        #[cfg(unix)]
        let n = {
            use std::os::unix::fs::FileExt;
            self.file.read_at(buf, self.pos)?
        };
        #[cfg(windows)]
        let n = {
            use std::os::windows::fs::FileExt;
            self.file.seek_read(buf, self.pos)?
        };
        self.pos += n as u64;
        Ok(n)
    }
}

/// Writes the report: one object per non-blank line, in file order. `-` is stdout; a file is
/// written under a temporary name and renamed into place. The engine calls it (`run_import`, `report_unsent`); the front-ends only pass a path.
pub(crate) fn write_report(input: &File, outcomes: &Outcomes, path: &Path) -> io::Result<()> {
    if path.as_os_str() == "-" {
        let out = io::stdout();
        let mut w = BufWriter::new(out.lock());
        write_lines(input, outcomes, &mut w)?;
        return w.flush();
    }
    crate::files::write_whole(path, |w| write_lines(input, outcomes, w))
}

fn write_lines(input: &File, outcomes: &Outcomes, w: &mut impl Write) -> io::Result<()> {
    let mut r = LineReader::new(ReadFrom {
        file: input,
        pos: 0,
    });
    while let Some(line) = r.next_line()? {
        let n = line.number;
        let Some(&s) = outcomes.states.get(n as usize - 1) else {
            break;
        };
        let Some(outcome) = Outcome::of_state(s) else {
            continue;
        };
        let (target, reason) = if s == LineState::Invalid {
            match check_content(&line.content) {
                Checked::Valid(doc) => (doc.root().as_object().and_then(target_label), None),
                Checked::Invalid(v) => {
                    let target = match &line.content {
                        Content::Text(t) => target_of(t),
                        Content::TooLong(_) => None,
                    };
                    (target, Some(crate::api::validate::describe(&v)))
                }
            }
        } else {
            // A line that passed validation: only its target is needed.
            let target = match &line.content {
                Content::Text(t) => target_of(t),
                Content::TooLong(_) => None,
            };
            (target, outcomes.reason_without_input(n as u32, s))
        };
        serde_json::to_writer(
            &mut *w,
            &ReportLine {
                line: n,
                outcome,
                id: outcomes.id(n).as_deref(),
                target,
                reason: reason.as_deref(),
            },
        )?;
        w.write_all(b"\n")?;
    }
    Ok(())
}

/// A line's target label, when the line is a JSON object with a target (valid or not).
fn target_of(text: &[u8]) -> Option<String> {
    let doc = Doc::parse(std::str::from_utf8(text).ok()?).ok()?;
    doc.root().as_object().and_then(target_label)
}

/// `model target_type target` (the conflict key), when the line has one.
fn target_label<'a, O: JsonObject<'a>>(o: O) -> Option<String> {
    conflict_key_of(o).map(|k| k.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_ids_keep_every_id_exactly_as_it_came() {
        let mut ids = LineIds::default();
        ids.insert(7, "00000000-0000-4000-8000-000000000007");
        ids.insert(3, "00000000-0000-4000-8000-000000000003");
        // Not canonical: kept as text, so the report shows what the service sent.
        ids.insert(5, "00000000-0000-4000-8000-00000000000A");
        ids.insert(9, "not-a-uuid");
        // A line recorded twice keeps the later id.
        ids.insert(3, "00000000-0000-4000-8000-000000000033");
        ids.sort();
        assert_eq!(ids.len(), 4);
        assert_eq!(
            ids.get(3).as_deref(),
            Some("00000000-0000-4000-8000-000000000033")
        );
        assert_eq!(
            ids.get(5).as_deref(),
            Some("00000000-0000-4000-8000-00000000000A")
        );
        assert_eq!(
            ids.get(7).as_deref(),
            Some("00000000-0000-4000-8000-000000000007")
        );
        assert_eq!(ids.get(9).as_deref(), Some("not-a-uuid"));
        assert_eq!(ids.get(4), None);
    }
    use crate::import::run::unsent;
    use crate::import::scan::tests::plan_of;

    #[test]
    fn targets_without_parsing_everything() {
        assert_eq!(
            target_of(br#"{"pin_definitions":[],"target_identity":"/p/1","model":"m","target_type":"item","x":{"y":[1]}}"#),
            Some("m item /p/1".to_string())
        );
        assert_eq!(
            target_of(br#"{"model":"m","target_type":"criteria","target_criteria":{"b":1,"a":{"d":2,"c":3}}}"#),
            Some(r#"m criteria {"a":{"c":3,"d":2},"b":1}"#.to_string())
        );
        assert_eq!(
            target_of(br#"{"model":"m","target_type":"all","target_identity":"ignored"}"#),
            Some("m all".to_string())
        );
        // A repeated key: the whole line decides (the last value wins, as serde_json keeps).
        assert_eq!(
            target_of(br#"{"model":"a","model":"b","target_type":"all"}"#),
            Some("b all".to_string())
        );
        assert_eq!(target_of(br#"{"model":"m","target_type":7}"#), None);
    }

    #[test]
    fn the_report_has_one_object_per_non_blank_line() {
        let item = |id: &str| {
            format!(
                r#"{{"model":"m","target_type":"item","target_identity":"{id}","pin_definitions":[]}}"#
            )
        };
        let text = format!(
            "{}\n\n{{\"model\":\"m\",\"target_type\":\"item\",\"pin_definitions\":[]}}\nnot json\n{}\n",
            item("a"),
            item("a")
        );
        let plan = plan_of(text.as_bytes());
        let outcomes = unsent(&plan, ConflictStrategy::Ignore, "dry run");
        let mut out = Vec::new();
        write_lines(&plan.input.file, &outcomes, &mut out).expect("write");
        let rows: Vec<serde_json::Value> = String::from_utf8(out)
            .expect("utf8")
            .lines()
            .map(|l| serde_json::from_str(l).expect("json"))
            .collect();
        assert_eq!(
            rows,
            vec![
                serde_json::json!({"line": 1, "outcome": "not_sent", "target": "m item a", "reason": "dry run"}),
                serde_json::json!({"line": 3, "outcome": "rejected", "reason": "target_identity: Missing required field: target_identity"}),
                serde_json::json!({"line": 4, "outcome": "rejected", "reason": "invalid JSON at column 2: expected ident"}),
                serde_json::json!({"line": 5, "outcome": "skipped", "target": "m item a",
                    "reason": "same target as line 1, which is sent instead (conflict_strategy=ignore keeps the first)"}),
            ]
        );
        assert_eq!(outcomes.counts().total(), 4);
        assert_eq!(outcomes.outcome(2), None);
        assert_eq!(outcomes.outcome(5), Some(Outcome::Skipped));
    }
}
