//! The batch engine against the emulator: apply with faults, changed_on_server, undo, and
//! the history that records it all.

use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use pinscope::api::model::Customization;
use pinscope::api::{Client, ClientConfig, ListQuery, RetryPolicy, Secret};
use pinscope::batch::{
    self, Action, ApplyOptions, ChangeSpec, Op, Outcome, PinMatcher, PinOp, Plan, Recorder,
    same_definition,
};
use pinscope::emulator::{EmulatorConfig, Faults, Running, start};
use pinscope::mirror::Scope;
use pinscope::mirror::history::{History, OpKind, Origin};
use serde_json::{Value, json};

const TRACKER: &str = "1234-5678";
const KEY: &str = "batch-test-key";

async fn emulator(rows: Vec<Value>, faults: Option<(&str, u64)>) -> Running {
    let mut cfg = EmulatorConfig::new(
        "127.0.0.1:0".parse().expect("addr"),
        vec![(TRACKER.to_string(), Secret::new(KEY))],
    );
    cfg.preload = rows
        .into_iter()
        .map(|v| Customization::from_value(v).expect("object"))
        .collect();
    if let Some((spec, seed)) = faults {
        cfg.faults = spec.parse::<Faults>().expect("faults");
        cfg.fault_seed = Some(seed);
    }
    start(cfg).await.expect("emulator starts")
}

fn client(r: &Running) -> Client {
    Client::new(ClientConfig::new(r.url(), TRACKER, Secret::new(KEY)))
        .expect("client")
        .with_retry(RetryPolicy {
            max_retries: 12,
            base_delay: Duration::from_millis(2),
            max_delay: Duration::from_millis(50),
        })
}

fn id(n: usize) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

/// A customization with unknown fields and a key order of its own.
fn row(n: usize) -> Value {
    json!({
        "id": id(n),
        "created_at": "2026-01-01T00:00:00Z",
        "x_note": {"z": 1, "a": [n]},
        "model": if n.is_multiple_of(2) { "basket" } else { "home" },
        "target_type": "item",
        "target_identity": format!("/p/{n}"),
        "tags": ["summer"],
        "pin_definitions": [
            {"position": 1, "pin_type": "item", "pin_identity": format!("/p/{}", n + 1000),
             "active_from": "2026-01-01T00:00:00Z", "active_to": "2026-02-01T00:00:00Z", "x_pin": "kept"},
            {"position": 2, "pin_type": "item", "pin_identity": "/p/7", "widget_id": "w1"}
        ]
    })
}

fn spec(ops: Vec<Op>) -> ChangeSpec {
    ChangeSpec {
        ops,
        pins: PinMatcher::default(),
        now: "2026-01-15T00:00:00Z".parse().expect("now"),
        tz: TimeZone::UTC,
    }
}

fn origin(r: &Running) -> Origin {
    Origin {
        profile: "test".into(),
        host: r.url(),
        tracker: TRACKER.into(),
    }
}

async fn all(c: &Client) -> Vec<Customization> {
    let mut v = c.list_all(&ListQuery::default()).await.expect("list");
    v.sort_by(|a, b| a.id().cmp(&b.id()));
    v
}

fn json_text(c: &Customization) -> String {
    // Whole objects, key order included; `available` moves with the clock.
    let mut c = c.clone();
    c.remove("available");
    serde_json::to_string(&c).expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_with_faults_accounts_for_every_customization() {
    let rows: Vec<Value> = (1..=60).map(row).collect();
    let emu = emulator(
        rows,
        Some(("429=0.02,503=0.1,500=0.05,drop=0.05,delay-ms=0..5", 7)),
    )
    .await;
    let c = client(&emu);
    let selection = {
        emu.set_faults(Faults::none());
        let s = all(&c).await;
        emu.set_faults(
            "429=0.02,503=0.1,500=0.05,drop=0.05,delay-ms=0..5"
                .parse()
                .expect("faults"),
        );
        s
    };
    let plan = Plan::make(
        spec(vec![
            Op::AddTag("sale".into()),
            Op::Pin(PinOp::ShiftTo(
                pinscope::when::parse_offset("+7d").expect("span"),
            )),
        ]),
        selection.clone(),
    )
    .expect("plan");
    assert_eq!(plan.totals().update, 60);
    let history = History::in_memory(&Scope::new(emu.url(), TRACKER)).expect("history");
    let report = batch::apply::apply(
        &c,
        &plan,
        ApplyOptions {
            recorder: Some(Recorder {
                history: &history,
                origin: origin(&emu),
                kind: OpKind::Batch,
                summary: plan.spec.describe(),
                at: Timestamp::now(),
            }),
            ..ApplyOptions::default()
        },
    )
    .await;
    emu.set_faults(Faults::none());
    assert_eq!(report.items.len(), 60);
    let now = all(&c).await;
    let mut updated = 0;
    for (item, rep) in plan.items.iter().zip(&report.items) {
        assert_eq!(item.id, rep.id);
        let Action::Update(after) = &item.action else {
            panic!("not an update")
        };
        let server = now
            .iter()
            .find(|x| x.id() == Some(item.id.as_str()))
            .expect("still there");
        match rep.outcome {
            Outcome::Updated => {
                updated += 1;
                assert_eq!(json_text(server), json_text(after), "{}", item.id);
            }
            Outcome::Failed => {
                assert!(rep.reason.is_some());
                assert!(same_definition(server, &item.before) || same_definition(server, after));
            }
            other => panic!("{}: unexpected {other:?}", item.id),
        }
    }
    assert!(updated > 30, "only {updated} updated");
    // The history holds exactly what was written.
    let op = report.op_id.expect("recorded");
    let items = history.items(op).expect("items");
    assert_eq!(items.len(), updated);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customization_changed_on_the_service_is_skipped_and_kept() {
    let emu = emulator((1..=3).map(row).collect(), None).await;
    let c = client(&emu);
    let selection = all(&c).await;
    let plan = Plan::make(spec(vec![Op::AddTag("sale".into())]), selection).expect("plan");
    // Someone else changes the second one after the plan was made.
    let mut newer = plan.items[1].before.clone();
    newer.set("tags", json!(["someone-else"]));
    c.update(&plan.items[1].id, &newer).await.expect("update");
    let report = batch::apply::apply(&c, &plan, ApplyOptions::default()).await;
    let outcomes: Vec<Outcome> = report.items.iter().map(|i| i.outcome).collect();
    assert_eq!(
        outcomes,
        [Outcome::Updated, Outcome::ChangedOnServer, Outcome::Updated]
    );
    assert!(!report.all_ok());
    let kept = c.get(&plan.items[1].id).await.expect("get");
    assert_eq!(kept.get("tags"), Some(&json!(["someone-else"])));
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_restores_exact_json_and_recreates_deleted_ones() {
    let emu = emulator((1..=6).map(row).collect(), None).await;
    let c = client(&emu);
    let original = all(&c).await;
    let history = History::in_memory(&Scope::new(emu.url(), TRACKER)).expect("history");
    let rec = |kind, summary: &str| Recorder {
        history: &history,
        origin: origin(&emu),
        kind,
        summary: summary.into(),
        at: Timestamp::now(),
    };

    // 1. A batch that edits the first four...
    let plan = Plan::make(
        spec(vec![
            Op::RemoveTag("summer".into()),
            Op::RemoveExpiredPins,
            Op::Pin(PinOp::SetWidget("w9".into())),
        ]),
        original[..4].to_vec(),
    )
    .expect("plan");
    let r1 = batch::apply::apply(
        &c,
        &plan,
        ApplyOptions {
            recorder: Some(rec(OpKind::Batch, "edit")),
            ..ApplyOptions::default()
        },
    )
    .await;
    assert!(r1.all_ok(), "{:?}", r1.items);
    // 2. ...and one that deletes the last two.
    let del = Plan::make(spec(vec![Op::Delete]), original[4..].to_vec()).expect("plan");
    let r2 = batch::apply::apply(
        &c,
        &del,
        ApplyOptions {
            recorder: Some(rec(OpKind::Batch, "delete")),
            ..ApplyOptions::default()
        },
    )
    .await;
    assert_eq!(r2.count(Outcome::Deleted), 2);
    assert_eq!(all(&c).await.len(), 4);

    // Undo the edit: every object is back, whole.
    let undo1 = batch::undo::plan(history.items(r1.op_id.expect("op")).expect("items"));
    let u1 = batch::apply::run(
        &c,
        &undo1,
        ApplyOptions {
            recorder: Some(rec(OpKind::Undo, "undo edit")),
            ..ApplyOptions::default()
        },
    )
    .await;
    assert_eq!(u1.count(Outcome::Updated), 4, "{:?}", u1.items);
    let now = all(&c).await;
    for o in &original[..4] {
        let back = now.iter().find(|x| x.id() == o.id()).expect("there");
        assert_eq!(json_text(back), json_text(o));
    }

    // Undo the delete: created again with new ids and the same definitions.
    let undo2 = batch::undo::plan(history.items(r2.op_id.expect("op")).expect("items"));
    let u2 = batch::apply::run(
        &c,
        &undo2,
        ApplyOptions {
            recorder: Some(rec(OpKind::Undo, "undo delete")),
            ..ApplyOptions::default()
        },
    )
    .await;
    assert_eq!(u2.count(Outcome::Created), 2, "{:?}", u2.items);
    let now = all(&c).await;
    assert_eq!(now.len(), 6);
    for rep in &u2.items {
        // Written in the order the deletes finished: matched by the old id.
        let o = original
            .iter()
            .find(|o| o.id() == Some(rep.id.as_str()))
            .expect("an original");
        let new_id = rep.new_id.as_deref().expect("new id");
        assert_ne!(Some(new_id), o.id());
        let again = now
            .iter()
            .find(|x| x.id() == Some(new_id))
            .expect("created");
        assert!(same_definition(again, o), "{again:?}\n{o:?}");
    }

    // The undo is an operation too: undoing it deletes what it created.
    let undo3 = batch::undo::plan(history.items(u2.op_id.expect("op")).expect("items"));
    assert!(undo3.iter().all(|i| i.action == Action::Delete));
    let u3 = batch::apply::run(&c, &undo3, ApplyOptions::default()).await;
    assert_eq!(u3.count(Outcome::Deleted), 2);
    assert_eq!(all(&c).await.len(), 4);

    // Undoing the edit again now finds nothing to restore that differs: the service holds
    // the before images, which are not the recorded after images.
    let again = batch::undo::plan(history.items(r1.op_id.expect("op")).expect("items"));
    let pre = batch::apply::preflight(&c, &again, 4).await;
    assert!(pre.iter().all(Option::is_some), "{pre:?}");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tui_worker_records_the_editors_writes_and_they_undo() {
    use pinscope::tui::msg::{ApiRequest, ReqId};
    use pinscope::tui::worker::{Recording, call_recording};
    use std::sync::Arc;

    let emu = emulator(vec![row(1)], None).await;
    let c = client(&emu);
    let original = c.get(&id(1)).await.expect("get");
    let history = Arc::new(History::in_memory(&Scope::new(emu.url(), TRACKER)).expect("history"));
    let rec = Recording {
        history: history.clone(),
        origin: origin(&emu),
    };
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();

    // Save an edit, create one, delete the first.
    let mut edited = original.clone();
    edited.set("model", json!("edited"));
    let ev = call_recording(
        &c,
        Some(&rec),
        ReqId(1),
        ApiRequest::Update {
            id: id(1),
            body: edited.clone(),
        },
        &tx,
    )
    .await;
    assert!(ev.result.is_ok());
    let mut new = edited.without_server_fields();
    new.set("target_identity", json!("/p/new"));
    let ev = call_recording(&c, Some(&rec), ReqId(2), ApiRequest::Create(new), &tx).await;
    assert!(ev.result.is_ok());
    let ops = history.list(None).expect("list");
    assert_eq!(
        ops.iter().map(|o| o.kind).collect::<Vec<_>>(),
        [OpKind::Create, OpKind::Update]
    );

    // Undo the edit: the object is back, whole.
    let undo = batch::undo::plan(history.items(ops[1].id).expect("items"));
    let r = batch::apply::run(&c, &undo, ApplyOptions::default()).await;
    assert!(r.all_ok(), "{:?}", r.items);
    assert_eq!(
        json_text(&c.get(&id(1)).await.expect("get")),
        json_text(&original)
    );

    // Delete it from the editor, then undo that: it is created again.
    let ev = call_recording(&c, Some(&rec), ReqId(3), ApiRequest::Delete(id(1)), &tx).await;
    assert!(ev.result.is_ok());
    let last = history.last().expect("last").expect("an op");
    assert_eq!(last.kind, OpKind::Delete);
    let undo = batch::undo::plan(history.items(last.id).expect("items"));
    let r = batch::apply::run(&c, &undo, ApplyOptions::default()).await;
    assert_eq!(r.count(Outcome::Created), 1, "{:?}", r.items);
    let again = c
        .get(r.items[0].new_id.as_deref().expect("new id"))
        .await
        .expect("get");
    assert!(same_definition(&again, &original));
    emu.shutdown().await;
}
