//! The terminal UI: rendered frames (insta snapshots built by feeding messages), the real
//! loop driven by a channel of keys against a server, and the real binary under tmux.

mod campaign_loop;
mod campaign_snapshots;
mod custom_screen;
mod demo_data;
mod editor_loop;
mod editor_snapshots;
mod editor_tmux;
mod full_loop;
mod harness;
mod health_screens;
mod hostile;
mod import_loop;
mod import_snapshots;
mod loop_basics;
mod mirror_browse;
mod mirror_loop;
mod selection;
mod snapshots;
mod tmux;
mod traps;
