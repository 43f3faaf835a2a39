//! A screen written outside the crate, the way a new screen plugs in: its own state, keys
//! and render, two requests through the worker (which alone holds the key), a toast, and
//! closing itself.

use pinscope::api::ListQuery;
use pinscope::api::{Customization, Secret};
use pinscope::emulator::{EmulatorConfig, start};
use pinscope::tui::app::ExitReason;
use pinscope::tui::keys::{Action, Context};
use pinscope::tui::msg::{ApiEvent, ApiReply, ApiRequest, Remote};
use pinscope::tui::screens::{Ctx, Env, Input, Screen};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::Paragraph;

use crate::harness::*;

#[derive(Default)]
struct Counter {
    summary: Remote<usize>,
    total: Remote<u64>,
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
        self.total = Remote::Loading(ctx.request(ApiRequest::List(ListQuery {
            limit: Some(1),
            ..Default::default()
        })));
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
        if self.total.waits_for(ev.id) {
            self.total = match &ev.result {
                Ok(ApiReply::Page(p)) => Remote::Ready(p.total),
                Ok(_) => Remote::Idle,
                Err(e) => Remote::Failed(e.clone()),
            };
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, _env: &Env) {
        let text = format!(
            "models: {:?}\ntotal: {:?}",
            self.summary.ready(),
            self.total.ready()
        );
        frame.render_widget(Paragraph::new(text), area);
    }
}

#[tokio::test]
async fn a_screen_from_outside_runs_its_requests() {
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
    assert!(screen.contains("models: Some("), "{screen}");
    assert!(
        screen.contains("/scopes"),
        "the status bar names the last call:\n{screen}"
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
