//! The campaign screens drawn from messages alone: the change form, the plan (at 120x40
//! and 60x15), the progress, the report, the history, an operation and an undo plan.

use crossterm::event::KeyCode;
use insta::assert_snapshot;
use pinscope::api::Customization;
use pinscope::batch::apply::{ItemReport, Outcome, Report, Tick};
use pinscope::batch::{ChangeSpec, Op, PinMatcher, PinOp, Plan};
use pinscope::mirror::history::{Item, OpKind, OpRow};
use pinscope::tui::app::{App, AppOptions, Effect};
use pinscope::tui::batch_jobs::{Planned, UndoPlanned};
use pinscope::tui::msg::{ApiReply, ApiRequest, BatchReply, Shared};
use pinscope::tui::screens::campaign::{
    BatchDraft, ChangeForm, HistoryList, OperationView, PlanRun,
};
use serde_json::json;

use crate::harness::*;

fn cust(n: usize, tags: &[&str], active_to: Option<&str>) -> Customization {
    let mut first = json!({"position": 1, "pin_type": "item", "pin_identity": "/p/555",
                           "active_from": "2025-06-01T00:00:00Z"});
    if let Some(to) = active_to {
        first["active_to"] = json!(to);
    }
    Customization::from_value(json!({
        "id": format!("{n:08x}-0000-4000-8000-000000000000"),
        "created_at": "2025-05-01T08:00:00Z",
        "model": if n.is_multiple_of(2) { "basket" } else { "home" },
        "target_type": "item",
        "target_identity": format!("/p/{n}"),
        "target_metadata": {"title": format!("Guitar {n}")},
        "tags": tags,
        "pin_definitions": [
            first,
            {"position": 2, "pin_type": "item", "pin_identity": "/p/556"}
        ]
    }))
    .expect("object")
}

fn selection() -> Vec<Customization> {
    vec![
        cust(1, &["summer"], Some("2025-06-30T00:00:00Z")),
        cust(2, &["summer", "sale"], Some("2025-07-15T00:00:00Z")),
        // The shifted end comes before the start: invalid, never sent.
        cust(3, &[], Some("2025-06-03T00:00:00Z")),
        // Tagged already, and its pin has no end to shift: unchanged.
        cust(4, &["sale"], None),
    ]
}

fn spec(ops: Vec<Op>) -> ChangeSpec {
    ChangeSpec {
        ops,
        pins: PinMatcher {
            position: Some(1),
            ..PinMatcher::default()
        },
        now: now(),
        tz: tz(),
    }
}

fn campaign_spec() -> ChangeSpec {
    let back = pinscope::when::parse_offset("-7d").expect("offset");
    spec(vec![
        Op::AddTag("sale".into()),
        Op::Pin(PinOp::ShiftTo(back)),
    ])
}

fn ids() -> Vec<String> {
    selection()
        .iter()
        .filter_map(|c| c.id().map(str::to_string))
        .collect()
}

/// A plan screen over [`selection`], answered.
fn planned(width: u16, height: u16) -> (App, Vec<Effect>) {
    planned_with(
        options(width, height),
        BatchDraft::with(&[("add tags", "sale"), ("shift active_to", "-7d")]),
        vec!["0000dead-0000-4000-8000-000000000000".into()],
    )
}

/// The run screen of [`campaign_spec`] over [`selection`], its plan answered (`missing`:
/// the ids the plan did not find).
fn planned_with(opts: AppOptions, draft: BatchDraft, missing: Vec<String>) -> (App, Vec<Effect>) {
    let spec = campaign_spec();
    let plan = Plan::make(spec.clone(), selection()).expect("plan");
    let (mut app, effects) = app_with(opts, PlanRun::batch(ids(), Shared::new(spec), draft));
    let rest = answer_all(&mut app, effects, |req| match req {
        ApiRequest::BatchPlan(_) => {
            Ok(ApiReply::Batch(BatchReply::Planned(Shared::new(Planned {
                plan: plan.clone(),
                missing: missing.clone(),
                source: "mirror",
            }))))
        }
        other => panic!("unexpected {other:?}"),
    });
    (app, rest)
}

#[test]
fn change_form() {
    let draft = BatchDraft::with(&[
        ("add tags", "sale, summer-2025"),
        ("set active_to", "2025-06-31"),
        ("shift active_from", "+2d"),
        ("end now", "x"),
        ("only pins at position", "1"),
    ]);
    let (mut app, _) = app_with(options(120, 40), ChangeForm::new(ids(), Some(draft)));
    assert_snapshot!("campaign_change_form", draw(&app));
    // An invalid field says why where it is, and Enter sends nothing.
    let effects = feed(&mut app, [code(KeyCode::Enter)]);
    assert!(requests(&effects).is_empty());
    assert_eq!(app.screen_names(), ["batch"]);
    let (app, _) = app_with(options(60, 15), ChangeForm::new(ids(), None));
    assert_snapshot!("campaign_change_form_60x15", draw(&app));
}

#[test]
fn plan_view() {
    let (app, _) = planned(120, 40);
    let screen = draw(&app);
    assert!(
        screen.contains("4 customizations: 2 to update (2 pins changed), 1 unchanged, 1 invalid (not sent); 1 id not found"),
        "{screen}"
    );
    assert_snapshot!("campaign_plan_120x40", screen);
    let (mut app, _) = planned(60, 15);
    assert_snapshot!("campaign_plan_60x15", draw(&app));
    // It scrolls.
    feed(&mut app, [code(KeyCode::PageDown)]);
    assert_snapshot!("campaign_plan_60x15_scrolled", draw(&app));
}

#[test]
fn plan_asks_and_a_production_profile_types_the_count() {
    let (mut app, _) = planned(120, 40);
    feed(&mut app, [code(KeyCode::Enter)]);
    assert!(draw(&app).contains("Write 2 customizations on profile demo?"));
    feed(&mut app, [code(KeyCode::Esc)]);

    let mut opts = options(120, 40);
    opts.profile.production = true;
    let (mut app, _) = planned_with(opts, BatchDraft::default(), Vec::new());
    feed(&mut app, [code(KeyCode::Enter)]);
    let effects = feed(
        &mut app,
        typed("3").into_iter().chain([code(KeyCode::Enter)]),
    );
    assert!(requests(&effects).is_empty(), "a wrong count sends nothing");
    assert!(draw(&app).contains("That is not the count."));
    let effects = feed(
        &mut app,
        [code(KeyCode::Backspace), key('2'), code(KeyCode::Enter)],
    );
    let reqs = requests(&effects);
    assert!(
        matches!(&reqs[..], [(_, ApiRequest::BatchApply(job))] if job.items.len() == 4 && job.kind == OpKind::Batch),
        "{reqs:?}"
    );

    // A read-only profile refuses.
    let mut opts = options(120, 40);
    opts.profile.read_only = true;
    let (mut app, _) = planned_with(opts, BatchDraft::default(), Vec::new());
    let screen = draw(&app);
    assert!(
        screen.contains("read-only: this plan cannot be applied"),
        "{screen}"
    );
    assert!(!screen.contains("Enter apply"), "{screen}");
    let effects = feed(&mut app, [code(KeyCode::Enter)]);
    assert!(requests(&effects).is_empty());
    assert!(draw(&app).contains("is read-only: nothing is sent"));
}

#[test]
fn progress_and_report() {
    let (mut app, _) = planned(120, 40);
    let effects = feed(&mut app, [code(KeyCode::Enter), code(KeyCode::Enter)]);
    let (id, req) = requests(&effects).into_iter().next().expect("the apply");
    let tick = Tick {
        done: 2,
        total: 4,
        failed: 1,
        elapsed: 0.5,
    };
    feed(
        &mut app,
        [event(id, &req, Ok(ApiReply::Batch(BatchReply::Tick(tick))))],
    );
    assert_snapshot!("campaign_progress", draw(&app));
    // Esc asks before cancelling; Enter cancels (the requests in flight finish).
    feed(&mut app, [code(KeyCode::Esc)]);
    assert_snapshot!("campaign_progress_cancel", draw(&app));
    feed(&mut app, [code(KeyCode::Enter)]);
    assert!(draw(&app).contains("cancelling: finishing the requests in flight"));

    let line = |n: usize, outcome, reason: Option<&str>| ItemReport {
        id: format!("{n:08x}-0000-4000-8000-000000000000"),
        outcome,
        reason: reason.map(str::to_string),
        new_id: None,
    };
    let report = Report {
        items: vec![
            line(1, Outcome::Updated, None),
            line(
                2,
                Outcome::ChangedOnServer,
                Some("changed on the service since the plan was made"),
            ),
            line(
                3,
                Outcome::Failed,
                Some(
                    "not sent: the result would be invalid: pin_definitions[0]: active_to before active_from",
                ),
            ),
            line(4, Outcome::Unchanged, None),
        ],
        op_id: Some(7),
        warnings: Vec::new(),
    };
    feed(
        &mut app,
        [event(
            id,
            &req,
            Ok(ApiReply::Batch(BatchReply::Applied(Shared::new(report)))),
        )],
    );
    assert_snapshot!("campaign_report", draw(&app));
    feed(&mut app, [pinscope::tui::msg::Msg::Resize(60, 15)]);
    assert_snapshot!("campaign_report_60x15", draw(&app));
}

fn op_row(id: i64, kind: OpKind, count: u64, summary: &str, at: &str) -> OpRow {
    OpRow {
        id,
        at: at.into(),
        kind,
        count,
        summary: summary.into(),
        profile: "demo".into(),
        host: "http://127.0.0.1:7700".into(),
        tracker: "demo".into(),
    }
}

fn ops() -> Vec<OpRow> {
    vec![
        op_row(
            3,
            OpKind::Undo,
            2,
            "undo of 2 (batch add tag sale, shift active_to -7d (pins at position 1))",
            "2025-06-15T09:58:00Z",
        ),
        op_row(
            2,
            OpKind::Batch,
            2,
            "add tag sale, shift active_to -7d (pins at position 1)",
            "2025-06-15T09:40:00Z",
        ),
        op_row(
            1,
            OpKind::Delete,
            1,
            "delete 00000005-0000-4000-8000-000000000000 (editor)",
            "2025-06-14T16:03:00Z",
        ),
    ]
}

fn op_items() -> Vec<Item> {
    let sel = selection();
    let mut changed = sel[0].clone();
    changed.set("tags", json!(["summer", "sale"]));
    vec![
        Item {
            seq: 1,
            customization_id: sel[0].id().expect("id").into(),
            before: Some(sel[0].clone()),
            after: Some(changed),
        },
        Item {
            seq: 2,
            customization_id: sel[3].id().expect("id").into(),
            before: Some(sel[3].clone()),
            after: None,
        },
    ]
}

#[test]
fn history_and_operation() {
    let (mut app, effects) = app_with(options(120, 40), HistoryList::new());
    answer_all(&mut app, effects, |req| match req {
        ApiRequest::History { .. } => Ok(ApiReply::Batch(BatchReply::History(ops()))),
        other => panic!("unexpected {other:?}"),
    });
    assert_snapshot!("campaign_history", draw(&app));
    // Enter opens the selected operation; u plans its undo.
    let effects = feed(&mut app, [code(KeyCode::Down), code(KeyCode::Enter)]);
    assert!(
        requests(&effects)
            .iter()
            .any(|(_, r)| *r == ApiRequest::HistoryOp(2)),
        "{effects:?}"
    );
    assert_eq!(app.screen_names(), ["history", "operation"]);

    let (mut app, effects) = app_with(options(120, 40), OperationView::new(2));
    answer_all(&mut app, effects, |_| {
        Ok(ApiReply::Batch(BatchReply::Operation {
            op: ops()[1].clone(),
            items: Shared::new(op_items()),
        }))
    });
    assert_snapshot!("campaign_operation", draw(&app));
    feed(&mut app, [pinscope::tui::msg::Msg::Resize(60, 15)]);
    assert_snapshot!("campaign_operation_60x15", draw(&app));
    let effects = feed(&mut app, [key('u')]);
    assert!(
        requests(&effects)
            .iter()
            .any(|(_, r)| *r == ApiRequest::UndoPlan(2)),
        "{effects:?}"
    );
    assert_eq!(app.screen_names(), ["operation", "plan"]);
}

#[test]
fn undo_plan() {
    let items = pinscope::batch::undo::plan(op_items());
    let conflicts = vec![Some("changed on the service since".to_string()), None];
    let (mut app, effects) = app_with(options(120, 40), PlanRun::undo(2));
    answer_all(&mut app, effects, |req| match req {
        ApiRequest::UndoPlan(2) => Ok(ApiReply::Batch(BatchReply::UndoPlanned(Shared::new(
            UndoPlanned {
                op: ops()[1].clone(),
                items: items.clone(),
                conflicts: conflicts.clone(),
            },
        )))),
        other => panic!("unexpected {other:?}"),
    });
    assert_snapshot!("campaign_undo_plan", draw(&app));
    // f includes what changed: the count to write goes from 1 to 2.
    feed(&mut app, [key('f'), code(KeyCode::Enter)]);
    let screen = draw(&app);
    assert!(screen.contains("Write 2 customizations"), "{screen}");
    let effects = feed(&mut app, [code(KeyCode::Enter)]);
    let reqs = requests(&effects);
    assert!(
        matches!(&reqs[..], [(_, ApiRequest::BatchApply(job))] if job.overwrite && job.kind == OpKind::Undo),
        "{reqs:?}"
    );
}

#[test]
fn help_lists_the_campaign_keys() {
    let (mut app, _) = planned(120, 40);
    feed(&mut app, [key('?')]);
    let screen = draw(&app);
    assert!(screen.contains("apply (asks first)"), "{screen}");
    let (mut app, _) = app_with(
        options(120, 40),
        pinscope::tui::screens::browse::Browse::new(),
    );
    feed(&mut app, [key('?')]);
    let screen = draw(&app);
    assert!(
        screen.contains("change the selected customizations at once"),
        "{screen}"
    );
    assert!(screen.contains("the history of writes"), "{screen}");
}
