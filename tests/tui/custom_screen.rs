//! A screen written outside the crate, the way a new screen plugs in: its own state, keys
//! and render, a request and a long job through the worker, a toast, and closing itself.

use std::time::Duration;

use pinscope::api::{Customization, Secret};
use pinscope::emulator::{EmulatorConfig, start};
use pinscope::tui::app::ExitReason;
use pinscope::tui::keys::{Action, Context};
use pinscope::tui::msg::{ApiEvent, ApiReply, ApiRequest, Job, Remote, ReqId};
use pinscope::tui::screens::{Ctx, Env, Input, Screen};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::Paragraph;

use crate::harness::*;

/// What the job reports while it runs.
struct Step(u32);

#[derive(Default)]
struct Counter {
    summary: Remote<usize>,
    job: Option<ReqId>,
    steps: Vec<u32>,
    result: Option<u64>,
}

impl Screen for Counter {
    fn name(&self) -> &'static str {
        "counter"
    }

    fn context(&self) -> Context {
        Context::Pager
    }

    fn on_open(&mut self, ctx: &mut Ctx) {
        self.summary = Remote::Loading(ctx.request(ApiRequest::Summary));
        // A job gets the worker's client; the key never leaves the worker.
        let job = Job::new("count", |client, reporter| async move {
            for i in 1..=3 {
                reporter.report(Step(i));
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let page = client
                .list(&pinscope::api::ListQuery {
                    limit: Some(1),
                    ..Default::default()
                })
                .await?;
            Ok(page.total)
        });
        self.job = Some(ctx.request(ApiRequest::Job(job)));
    }

    fn on_input(&mut self, input: Input, ctx: &mut Ctx) {
        if input == Input::Action(Action::Back) {
            ctx.toast("bye");
            ctx.close();
        }
    }

    fn on_api(&mut self, ev: &ApiEvent, _ctx: &mut Ctx) {
        if self.summary.waits_for(ev.id) {
            self.summary = match &ev.result {
                Ok(ApiReply::Summary(s)) => Remote::Ready(s.counts().len()),
                Ok(_) => Remote::Idle,
                Err(e) => Remote::Failed(e.clone()),
            };
        }
        if self.job == Some(ev.id) {
            match &ev.result {
                Ok(ApiReply::JobUpdate(d)) => self.steps.extend(d.get::<Step>().map(|s| s.0)),
                Ok(ApiReply::JobDone(d)) => self.result = d.get::<u64>().copied(),
                _ => {}
            }
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, _env: &Env) {
        let text = format!(
            "models: {:?}\nsteps: {:?}\ntotal: {:?}",
            self.summary.ready(),
            self.steps,
            self.result
        );
        frame.render_widget(Paragraph::new(text), area);
    }
}

#[tokio::test]
async fn a_screen_from_outside_runs_a_request_and_a_job() {
    let data: Vec<Customization> = pinscope::tui::demo::DATA
        .lines()
        .take(25)
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let mut cfg = EmulatorConfig::new(
        "127.0.0.1:0".parse().expect("addr"),
        vec![("demo".to_string(), Secret::new("k"))],
    );
    cfg.preload = data;
    let emu = start(cfg).await.expect("emulator");
    let run = Running::start(client(&emu.url(), "k"), options(80, 10), Counter::default());
    let screen = run.wait_for("total: Some(25)").await;
    assert!(screen.contains("steps: [1, 2, 3]"), "{screen}");
    assert!(screen.contains("models: Some("), "{screen}");
    assert!(
        screen.contains("count "),
        "the status bar names the job:\n{screen}"
    );
    run.send(code(crossterm::event::KeyCode::Esc));
    let (exit, app) = run.finish().await;
    assert_eq!(
        exit.reason,
        ExitReason::Quit,
        "closing the last screen quits"
    );
    assert!(app.screen_names().is_empty());
    emu.shutdown().await;
}
