//! Shown when there is no config: where it goes, what to put in it, and the demo.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph, Wrap};

use crate::tui::keys::{Action, Context};
use crate::tui::screens::{Ctx, Env, Input, Screen};
use crate::tui::widgets::theme;

/// The first-run screen.
pub struct FirstRun {
    config_path: String,
}

impl FirstRun {
    pub fn new(config_path: impl Into<String>) -> FirstRun {
        FirstRun {
            config_path: config_path.into(),
        }
    }
}

impl Screen for FirstRun {
    fn name(&self) -> &'static str {
        "first-run"
    }

    fn context(&self) -> Context {
        Context::FirstRun
    }

    fn on_input(&mut self, input: Input, ctx: &mut Ctx) {
        if let Input::Action(Action::Quit | Action::Back) = input {
            ctx.quit();
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, env: &Env) {
        let code = theme::key();
        let lines = vec![
            Line::styled("Welcome to pinscope", theme::title()),
            Line::raw(""),
            Line::raw("No profile is configured yet. pinscope reads its config from:"),
            Line::styled(format!("  {}", self.config_path), code),
            Line::raw("(or the file named by --config or PINSCOPE_CONFIG)."),
            Line::raw(""),
            Line::raw("A minimal one:"),
            Line::styled("  default_profile = \"shop\"", code),
            Line::styled("  [profiles.shop]", code),
            Line::styled("  tracker_id = \"1234-5678\"", code),
            Line::styled("  private_key_env = \"LUIGIS_BOX_KEY\"", code),
            Line::raw(""),
            Line::raw("Keep the private key out of the file: private_key_env, private_key_cmd"),
            Line::raw("or private_key_file name where it comes from. `pinscope config check`"),
            Line::raw("tells what is wrong with a config."),
            Line::raw(""),
            Line::from(vec![
                Span::raw("No account at hand? "),
                Span::styled("pinscope demo", code),
                Span::raw(" opens this UI on a local emulator with a"),
            ]),
            Line::raw("sample music shop; nothing is sent anywhere."),
            Line::raw(""),
            Line::styled(
                format!("{} quits", env.keymap.hint(Action::Quit)),
                theme::muted(),
            ),
        ];
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .title(Span::styled(" pinscope ", theme::title()));
        frame.render_widget(
            Paragraph::new(lines)
                .block(block)
                .wrap(Wrap { trim: false }),
            area,
        );
    }
}
