//! Config file, profiles, key sources and paths.
//!
//! The public names here are what the rest of the crate uses: a command or the TUI runs with
//! one resolved [`Session`]. The usual way to get one:
//!
//! ```no_run
//! use pinscope::config::{self, Choice};
//! let cfg = config::load(&config::config_path(None)?)?;
//! if cfg.is_first_run() {
//!     // no config file and no profile: show the first-run screen
//! }
//! let resolved = cfg.session(&Choice::from_env())?;
//! let session = resolved.session;
//! # Ok::<(), config::ConfigError>(())
//! ```
//!
//! Loading is pure (it reads the file and nothing else); [`Config::select`] picks a profile
//! without side effects; only [`Selected::resolve`] touches the key source (reads an
//! environment variable or a file, or runs a command).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use toml::Spanned;

use crate::api::client::DEFAULT_HOST;
use crate::api::{ClientConfig, RetryPolicy, Secret};

/// Overrides the config file's path.
pub const CONFIG_ENV: &str = "PINSCOPE_CONFIG";
/// Chooses a profile other than the default.
pub const PROFILE_ENV: &str = "PINSCOPE_PROFILE";
/// The private key; overrides the chosen profile's key source, and is the key of an ad hoc
/// session (`--host URL --tracker-id ID`).
pub const PRIVATE_KEY_ENV: &str = "PINSCOPE_PRIVATE_KEY";
/// Overrides the data dir (drafts, journals, import reports).
pub const DATA_DIR_ENV: &str = "PINSCOPE_DATA_DIR";
/// Overrides the state dir (the log, recent lookups and recent import files).
pub const STATE_DIR_ENV: &str = "PINSCOPE_STATE_DIR";
/// The name an ad hoc session goes by.
pub const ADHOC_PROFILE: &str = "adhoc";

/// One resolved profile: everything a command or the TUI needs to talk to one tracker.
#[derive(Debug, Clone)]
pub struct Session {
    /// The profile's name in the config (`demo`, `adhoc` when given on the command line).
    pub profile_name: String,
    /// What the status bar shows (defaults to the profile name).
    pub label: String,
    /// A colour name for the label (`red`, `yellow`, `#ff8800`...), so production looks different.
    pub color: Option<String>,
    /// A production profile asks for more before risky writes.
    pub production: bool,
    /// Refuses every write.
    pub read_only: bool,
    /// Host, tracker, key (a `Secret`), timeouts and retry policy.
    pub client: ClientConfig,
    /// `[keys]` overrides: action name -> key chords, as written in the config.
    pub keys: BTreeMap<String, Vec<String>>,
}

/// Where pinscope keeps its own data (recent lookups, drafts, import journals):
/// `PINSCOPE_DATA_DIR` when set, else the platform data dir.
pub fn data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV) {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "pinscope").map(|d| d.data_dir().to_path_buf())
}

/// Where pinscope keeps what it can lose without harm (the log, recent lookups, recent import
/// files): `PINSCOPE_STATE_DIR` when set; else `PINSCOPE_DATA_DIR` when set, so one override
/// keeps everything in one place; else the XDG state dir (`~/.local/state/pinscope`); else,
/// on platforms without one, the data dir.
pub fn state_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(STATE_DIR_ENV).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    if std::env::var_os(DATA_DIR_ENV).is_some() {
        return data_dir();
    }
    directories::ProjectDirs::from("", "", "pinscope")
        .and_then(|d| d.state_dir().map(Path::to_path_buf))
        .or_else(data_dir)
}

/// The platform's config file path (`~/.config/pinscope/config.toml` on Linux), ignoring
/// overrides.
pub fn default_config_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "pinscope").map(|d| d.config_dir().join("config.toml"))
}

/// The config file to read: `explicit` (the `--config` option) when given, else
/// `PINSCOPE_CONFIG`, else the platform path.
pub fn config_path(explicit: Option<&Path>) -> Result<PathBuf, ConfigError> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os(CONFIG_ENV).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    default_config_path().ok_or_else(|| {
        ConfigError::Usage(format!(
            "cannot tell where the config file lives (no home directory); use --config FILE or {CONFIG_ENV}"
        ))
    })
}

/// One thing wrong in a config file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: PathBuf,
    /// 1-based.
    pub line: Option<usize>,
    /// 1-based, in characters.
    pub column: Option<usize>,
    /// The dotted key (`profiles.prod.read_only`) when it could be told.
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        if let Some(key) = &self.key {
            write!(f, ": {key}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Everything that can be wrong with the config or the choice of profile. None of these
/// messages holds a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {}: {message}", path.display())]
    Read { path: PathBuf, message: String },
    /// The file is not valid: syntax, an unknown key, a bad value.
    #[error("{}", join_problems(.0))]
    Invalid(Vec<Problem>),
    /// Nothing to connect to: no profile in the config and no `--tracker-id`.
    #[error("{}", no_profile_message(path, *exists))]
    NoProfile { path: PathBuf, exists: bool },
    /// `--profile` / `PINSCOPE_PROFILE` / `default_profile` names a profile that is not there.
    #[error("no profile named {name:?} in {}{}", path.display(), known_list(known))]
    UnknownProfile {
        name: String,
        path: PathBuf,
        known: Vec<String>,
    },
    /// Several profiles and nothing says which.
    #[error(
        "{} has several profiles ({}) and no default_profile; choose one with --profile or {PROFILE_ENV}",
        path.display(),
        known.join(", ")
    )]
    Ambiguous { path: PathBuf, known: Vec<String> },
    /// The key source failed (variable unset, command failed, file unreadable).
    #[error("profile {profile:?}: {message}")]
    Key { profile: String, message: String },
    /// A wrong combination of options.
    #[error("{0}")]
    Usage(String),
}

fn join_problems(p: &[Problem]) -> String {
    p.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

fn no_profile_message(path: &Path, exists: bool) -> String {
    let where_ = if exists {
        format!("{} defines no profile", path.display())
    } else {
        format!("no config file at {}", path.display())
    };
    format!(
        "{where_}: add a [profiles.NAME] table (see config.example.toml), or pass --host URL \
         --tracker-id ID with the key in {PRIVATE_KEY_ENV}"
    )
}

fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        " (it defines none)".to_string()
    } else {
        format!(" (known: {})", known.join(", "))
    }
}

/// Key chords for one action: `"ctrl-s"` or `["ctrl-s", "f2"]` in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyChords(pub Vec<String>);

impl<'de> Deserialize<'de> for KeyChords {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyChords;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key chord string (\"ctrl-s\") or an array of them")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyChords, E> {
                Ok(KeyChords(vec![v.to_string()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<KeyChords, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                Ok(KeyChords(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// A key written in the config file itself; prints as `***`.
#[derive(Clone, PartialEq, Eq)]
struct InlineKey(Secret);

impl fmt::Debug for InlineKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<'de> Deserialize<'de> for InlineKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = InlineKey;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<InlineKey, E> {
                Ok(InlineKey(Secret::new(v)))
            }
        }
        // Never quote the value in an error: it may be a key written in the wrong place.
        d.deserialize_str(V)
            .map_err(|_| de::Error::custom("must be a string"))
    }
}

/// The file's shape. Every table denies unknown keys.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    default_profile: Option<Spanned<String>>,
    #[serde(default)]
    profiles: BTreeMap<String, Spanned<RawProfile>>,
    #[serde(default)]
    keys: BTreeMap<String, Spanned<KeyChords>>,
    timeout_secs: Option<Spanned<u64>>,
    bulk_timeout_secs: Option<Spanned<u64>>,
    #[serde(default)]
    history: RawHistory,
    #[serde(default)]
    mirror: RawMirror,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMirror {
    max_age: Option<Spanned<String>>,
}

/// How old the mirror may be before a command warns and the TUI syncs on start.
pub const DEFAULT_MIRROR_MAX_AGE: Duration = Duration::from_secs(5 * 60);

/// `[mirror]`: the local copy of each tracker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirrorSettings {
    /// `max_age`: older than this, the TUI syncs on start and the CLI says how old its
    /// data is.
    pub max_age: Duration,
}

impl Default for MirrorSettings {
    fn default() -> Self {
        MirrorSettings {
            max_age: DEFAULT_MIRROR_MAX_AGE,
        }
    }
}

/// A span of time as a person writes it: `5m`, `90s`, `1h 30m`, `2 hours` (jiff's
/// friendly format, or ISO 8601 `PT5M`). Negative spans are refused.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let d: jiff::SignedDuration = s
        .trim()
        .parse()
        .map_err(|_| format!("not a duration: {s:?} (write it like \"5m\", \"90s\" or \"1h\")"))?;
    Duration::try_from(d).map_err(|_| format!("must not be negative: {s:?}"))
}

/// `[history]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHistory {
    keep_days: Option<Spanned<i64>>,
}

/// How long the history of writes is kept unless `history.keep_days` says otherwise.
pub const DEFAULT_HISTORY_KEEP_DAYS: u32 = 90;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    host: Option<Spanned<String>>,
    tracker_id: Option<Spanned<String>>,
    private_key_env: Option<Spanned<String>>,
    private_key_cmd: Option<Spanned<Vec<String>>>,
    private_key_file: Option<Spanned<String>>,
    private_key: Option<Spanned<InlineKey>>,
    #[serde(default)]
    read_only: bool,
    label: Option<String>,
    color: Option<Spanned<String>>,
    #[serde(default)]
    production: bool,
    #[serde(default)]
    allow_insecure_http: bool,
    connect_timeout_secs: Option<Spanned<u64>>,
    request_timeout_secs: Option<Spanned<u64>>,
    retries: Option<Spanned<u32>>,
    private_key_cmd_timeout_secs: Option<Spanned<u64>>,
}

/// Where a profile's key comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum KeySource {
    /// An environment variable named in the profile (`private_key_env`).
    Env(String),
    /// A command run without a shell; the first line of its output (`private_key_cmd`).
    Command(Vec<String>),
    /// The first line of a file (`private_key_file`), resolved against the config's dir.
    File(PathBuf),
    /// Written in the config file (`private_key`): works, with a warning.
    Inline(Secret),
    /// `PINSCOPE_PRIVATE_KEY`, which overrides every other source.
    Override,
    /// The profile names no source.
    Missing,
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeySource({self})")
    }
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::Env(name) => write!(f, "environment variable {name}"),
            KeySource::Command(argv) => write!(f, "command `{}`", argv.join(" ")),
            KeySource::File(p) => write!(f, "file {}", p.display()),
            KeySource::Inline(_) => f.write_str("private_key in the config file"),
            KeySource::Override => write!(f, "environment variable {PRIVATE_KEY_ENV}"),
            KeySource::Missing => f.write_str("no key source"),
        }
    }
}

/// One profile as configured (no key yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    pub host: String,
    pub tracker_id: String,
    pub key_source: KeySource,
    pub read_only: bool,
    pub label: String,
    pub color: Option<String>,
    pub production: bool,
    pub allow_insecure_http: bool,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub retries: u32,
    /// How long `private_key_cmd` may run before it is stopped.
    pub key_cmd_timeout: Duration,
}

/// A loaded config file (or the defaults when there is none).
#[derive(Debug, Clone)]
pub struct Config {
    /// The file that was read, or would have been.
    pub path: PathBuf,
    /// Whether the file exists; `false` means defaults.
    pub exists: bool,
    pub default_profile: Option<String>,
    pub profiles: BTreeMap<String, Profile>,
    /// `[keys]`: action name -> key chords.
    pub keys: BTreeMap<String, Vec<String>>,
    /// The overall time limit of a command (`timeout_secs`), `--timeout` overrides it.
    pub timeout: Duration,
    /// The same for commands that move a whole tracker: import, copy, export and the
    /// mirror's sync (`bulk_timeout_secs`).
    pub bulk_timeout: Duration,
    /// `history.keep_days`: days the history of writes is kept.
    pub history_keep_days: u32,
    /// `[mirror]`.
    pub mirror: MirrorSettings,
    /// Things that work but should not be so (a key written in the file, a file others can
    /// read). Print them once.
    pub warnings: Vec<String>,
}

/// What the command line (or the environment) asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Choice {
    /// `--profile` / `PINSCOPE_PROFILE`.
    pub profile: Option<String>,
    /// `--host`: overrides the profile's host, or with `tracker_id` makes an ad hoc session.
    pub host: Option<String>,
    /// `--tracker-id`: without `profile`, makes an ad hoc session.
    pub tracker_id: Option<String>,
}

impl Choice {
    /// Only the profile, from `PINSCOPE_PROFILE`.
    pub fn from_env() -> Choice {
        Choice {
            profile: std::env::var(PROFILE_ENV).ok().filter(|s| !s.is_empty()),
            host: None,
            tracker_id: None,
        }
    }
}

/// A chosen profile, before its key is resolved.
#[derive(Debug, Clone)]
pub struct Selected {
    pub profile: Profile,
    /// True for `--host/--tracker-id` without a profile.
    pub adhoc: bool,
    pub keys: BTreeMap<String, Vec<String>>,
}

/// A session and what it took to build it.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub session: Session,
    /// Where the key came from (never the key).
    pub key_source: KeySource,
    /// E.g. a key file that others can read.
    pub warnings: Vec<String>,
}

/// Reads the config at `path`; a missing file gives the defaults.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let mut cfg = parse(path, &text)?;
            cfg.warnings.extend(config_permission_warning(path, &cfg));
            Ok(cfg)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::empty(path)),
        Err(e) => Err(ConfigError::Read {
            path: path.to_path_buf(),
            message: e.to_string(),
        }),
    }
}

/// What `pinscope config init` writes: every line commented, so it loads as no config
/// until a profile is filled in.
pub const STARTER: &str = include_str!("config/starter.toml");

/// `config_path(explicit)` then `load`.
pub fn load_default(explicit: Option<&Path>) -> Result<Config, ConfigError> {
    load(&config_path(explicit)?)
}

const DEFAULT_CONNECT_TIMEOUT: u64 = 5;
const DEFAULT_REQUEST_TIMEOUT: u64 = 60;
/// A command's overall time limit, by default.
pub const DEFAULT_TIMEOUT: u64 = 300;
/// The overall time limit of import, copy, export and sync, by default.
pub const DEFAULT_BULK_TIMEOUT: u64 = 6 * 3600;
/// How long `private_key_cmd` may run, by default.
pub const DEFAULT_KEY_CMD_TIMEOUT: u64 = 30;
/// The longest overall time limit the config takes (a week).
const MAX_TIMEOUT: u64 = 7 * 24 * 3600;
const MAX_RETRIES: u32 = 10;

/// Parses config text; `path` is for messages and for resolving relative key files.
pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
    let raw = read_toml(path, text)?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut problems = Problems {
        path,
        text,
        found: Vec::new(),
    };
    let profiles: BTreeMap<String, Profile> = raw
        .profiles
        .iter()
        .map(|(name, sp)| (name.clone(), profile(name, sp, &base, &mut problems)))
        .collect();
    let default_profile = default_profile(&raw, &profiles, &mut problems);
    let timeout = problems.limit(&raw.timeout_secs, "timeout_secs", DEFAULT_TIMEOUT);
    let bulk_timeout = problems.limit(
        &raw.bulk_timeout_secs,
        "bulk_timeout_secs",
        DEFAULT_BULK_TIMEOUT,
    );
    let keys = key_overrides(raw.keys, &mut problems);
    let history_keep_days = history_keep_days(&raw.history, &mut problems);
    let mirror = mirror_settings(&raw.mirror, &mut problems);

    let mut problems = problems.found;
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.line);
        return Err(ConfigError::Invalid(problems));
    }
    Ok(Config {
        path: path.to_path_buf(),
        exists: true,
        default_profile,
        profiles,
        keys,
        history_keep_days,
        mirror,
        warnings: Vec::new(),
        timeout: Duration::from_secs(timeout),
        bulk_timeout: Duration::from_secs(bulk_timeout),
    })
}

/// The file as TOML, its shape checked; a syntax error names its line.
fn read_toml(path: &Path, text: &str) -> Result<RawConfig, ConfigError> {
    toml::from_str(text).map_err(|e| {
        let span = e.span();
        let message = redact_inline_keys(text, e.message().trim());
        ConfigError::Invalid(vec![problem_at(
            path,
            text,
            span.map(|s| s.start),
            None,
            message,
        )])
    })
}

/// The problems found so far, each placed at its line in the file.
struct Problems<'a> {
    path: &'a Path,
    text: &'a str,
    found: Vec<Problem>,
}

impl Problems<'_> {
    fn at(&mut self, offset: usize, key: String, message: String) {
        self.found.push(problem_at(
            self.path,
            self.text,
            Some(offset),
            Some(key),
            message,
        ));
    }

    /// A top-level limit in seconds, between 1 and [`MAX_TIMEOUT`].
    fn limit(&mut self, v: &Option<Spanned<u64>>, field: &str, default: u64) -> u64 {
        match v {
            Some(s) if *s.get_ref() == 0 || *s.get_ref() > MAX_TIMEOUT => {
                self.at(
                    s.span().start,
                    field.to_string(),
                    format!("must be between 1 and {MAX_TIMEOUT} seconds"),
                );
                default
            }
            Some(s) => *s.get_ref(),
            None => default,
        }
    }
}

/// One profile's problems, each under `profiles.NAME.FIELD`.
struct ProfileProblems<'p, 'a> {
    problems: &'p mut Problems<'a>,
    whole: String,
}

impl ProfileProblems<'_, '_> {
    fn at(&mut self, start: usize, field: &str, message: String) {
        let key = if field.is_empty() {
            self.whole.clone()
        } else {
            format!("{}.{field}", self.whole)
        };
        self.problems.at(start, key, message);
    }

    /// A profile's timeout in seconds, between 1 and 3600.
    fn secs(&mut self, v: &Option<Spanned<u64>>, field: &str, default: u64) -> u64 {
        match v {
            Some(s) if *s.get_ref() == 0 || *s.get_ref() > 3600 => {
                self.at(
                    s.span().start,
                    field,
                    "must be between 1 and 3600 seconds".into(),
                );
                default
            }
            Some(s) => *s.get_ref(),
            None => default,
        }
    }
}

/// `[profiles.NAME]`: every field checked, each problem placed; what is wrong gets a
/// default so that every problem of the file is found in one pass.
fn profile(
    name: &str,
    sp: &Spanned<RawProfile>,
    base: &Path,
    problems: &mut Problems<'_>,
) -> Profile {
    let at = sp.span().start;
    let p = sp.get_ref();
    let mut bad = ProfileProblems {
        problems,
        whole: format!("profiles.{}", toml_key(name)),
    };
    let host = profile_host(p, &mut bad);
    let tracker_id = profile_tracker(p, at, &mut bad);
    let key_source = profile_key_source(p, at, base, &mut bad);
    let color = profile_color(p, &mut bad);
    let connect = bad.secs(
        &p.connect_timeout_secs,
        "connect_timeout_secs",
        DEFAULT_CONNECT_TIMEOUT,
    );
    let request = bad.secs(
        &p.request_timeout_secs,
        "request_timeout_secs",
        DEFAULT_REQUEST_TIMEOUT,
    );
    let key_cmd_timeout = bad.secs(
        &p.private_key_cmd_timeout_secs,
        "private_key_cmd_timeout_secs",
        DEFAULT_KEY_CMD_TIMEOUT,
    );
    let retries = match &p.retries {
        Some(r) if *r.get_ref() > MAX_RETRIES => {
            bad.at(
                r.span().start,
                "retries",
                format!("must be at most {MAX_RETRIES}"),
            );
            RetryPolicy::default().max_retries
        }
        Some(r) => *r.get_ref(),
        None => RetryPolicy::default().max_retries,
    };
    Profile {
        name: name.to_string(),
        host,
        tracker_id,
        key_source,
        read_only: p.read_only,
        label: p
            .label
            .clone()
            .filter(|l| !l.trim().is_empty())
            .unwrap_or_else(|| name.to_string()),
        color,
        production: p.production,
        allow_insecure_http: p.allow_insecure_http,
        connect_timeout: Duration::from_secs(connect),
        request_timeout: Duration::from_secs(request),
        retries,
        key_cmd_timeout: Duration::from_secs(key_cmd_timeout),
    }
}

fn profile_host(p: &RawProfile, bad: &mut ProfileProblems<'_, '_>) -> String {
    match &p.host {
        Some(h) => {
            if let Err(m) = check_host(h.get_ref(), p.allow_insecure_http) {
                bad.at(h.span().start, "host", m);
            }
            h.get_ref().trim_end_matches('/').to_string()
        }
        None => DEFAULT_HOST.to_string(),
    }
}

fn profile_tracker(p: &RawProfile, at: usize, bad: &mut ProfileProblems<'_, '_>) -> String {
    match &p.tracker_id {
        Some(t) if t.get_ref().trim().is_empty() => {
            bad.at(t.span().start, "tracker_id", "must not be empty".into());
            String::new()
        }
        Some(t) => match crate::api::ids::tracker_id(t.get_ref()) {
            Ok(_) => t.get_ref().clone(),
            Err(why) => {
                bad.at(t.span().start, "tracker_id", why);
                String::new()
            }
        },
        None => {
            bad.at(at, "", "missing tracker_id".into());
            String::new()
        }
    }
}

/// The one key source a profile names (two or more are a problem).
fn profile_key_source(
    p: &RawProfile,
    at: usize,
    base: &Path,
    bad: &mut ProfileProblems<'_, '_>,
) -> KeySource {
    let mut sources = Vec::new();
    if let Some(v) = &p.private_key_env {
        if v.get_ref().trim().is_empty() {
            bad.at(
                v.span().start,
                "private_key_env",
                "must name a variable".into(),
            );
        }
        sources.push(("private_key_env", KeySource::Env(v.get_ref().clone())));
    }
    if let Some(v) = &p.private_key_cmd {
        if v.get_ref().first().is_none_or(|c| c.trim().is_empty()) {
            bad.at(
                v.span().start,
                "private_key_cmd",
                "must be a non-empty array: the program, then its arguments".into(),
            );
        }
        sources.push(("private_key_cmd", KeySource::Command(v.get_ref().clone())));
    }
    if let Some(v) = &p.private_key_file {
        if v.get_ref().trim().is_empty() {
            bad.at(
                v.span().start,
                "private_key_file",
                "must name a file".into(),
            );
        }
        sources.push((
            "private_key_file",
            KeySource::File(resolve_path(base, v.get_ref())),
        ));
    }
    if let Some(v) = &p.private_key {
        if v.get_ref().0.is_empty() {
            bad.at(v.span().start, "private_key", "must not be empty".into());
        }
        sources.push(("private_key", KeySource::Inline(v.get_ref().0.clone())));
    }
    if sources.len() > 1 {
        let names: Vec<&str> = sources.iter().map(|(n, _)| *n).collect();
        bad.at(
            at,
            "",
            format!("more than one key source ({}); keep one", names.join(", ")),
        );
    }
    sources
        .into_iter()
        .next()
        .map(|(_, s)| s)
        .unwrap_or(KeySource::Missing)
}

fn profile_color(p: &RawProfile, bad: &mut ProfileProblems<'_, '_>) -> Option<String> {
    let c = p.color.as_ref()?;
    if ratatui::style::Color::from_str(c.get_ref()).is_err() {
        bad.at(
            c.span().start,
            "color",
            format!(
                "not a colour: {:?} (use a name such as red, yellow, light-blue, or #rrggbb)",
                c.get_ref()
            ),
        );
    }
    Some(c.get_ref().clone())
}

/// `default_profile`, which must name a profile of the file.
fn default_profile(
    raw: &RawConfig,
    profiles: &BTreeMap<String, Profile>,
    problems: &mut Problems<'_>,
) -> Option<String> {
    let d = raw.default_profile.as_ref()?;
    if profiles.contains_key(d.get_ref()) {
        return Some(d.get_ref().clone());
    }
    problems.at(
        d.span().start,
        "default_profile".into(),
        format!(
            "no profile named {:?}{}",
            d.get_ref(),
            known_list(&profiles.keys().cloned().collect::<Vec<_>>())
        ),
    );
    None
}

/// `[keys]`: each action's chords (their names are checked against the actions later,
/// by the keymap).
fn key_overrides(
    raw: BTreeMap<String, Spanned<KeyChords>>,
    problems: &mut Problems<'_>,
) -> BTreeMap<String, Vec<String>> {
    let mut keys = BTreeMap::new();
    for (action, chords) in raw {
        let at = chords.span().start;
        let chords = chords.into_inner().0;
        if chords.is_empty() || chords.iter().any(|c| c.trim().is_empty()) {
            problems.at(
                at,
                format!("keys.{}", toml_key(&action)),
                "must be a key chord (\"ctrl-s\") or a non-empty array of them".into(),
            );
            continue;
        }
        keys.insert(action, chords);
    }
    keys
}

/// `history.keep_days`: at least one day.
fn history_keep_days(raw: &RawHistory, problems: &mut Problems<'_>) -> u32 {
    let Some(d) = &raw.keep_days else {
        return DEFAULT_HISTORY_KEEP_DAYS;
    };
    match u32::try_from(*d.get_ref()) {
        Ok(n) if n >= 1 => n,
        _ => {
            problems.at(
                d.span().start,
                "history.keep_days".into(),
                "must be a whole number of days, at least 1".into(),
            );
            DEFAULT_HISTORY_KEEP_DAYS
        }
    }
}

/// `[mirror]`.
fn mirror_settings(raw: &RawMirror, problems: &mut Problems<'_>) -> MirrorSettings {
    let mut mirror = MirrorSettings::default();
    if let Some(v) = &raw.max_age {
        match parse_duration(v.get_ref()) {
            Ok(d) => mirror.max_age = d,
            Err(m) => problems.at(v.span().start, "mirror.max_age".into(), m),
        }
    }
    mirror
}

fn check_host(host: &str, allow_insecure_http: bool) -> Result<(), String> {
    crate::api::host::parse(host, allow_insecure_http).map(|_| ())
}

/// A TOML bare key as written, or quoted when it needs to be.
fn toml_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        format!("{k:?}")
    }
}

/// `~/x` is under the home dir; a relative path is relative to the config file's dir.
fn resolve_path(base: &Path, p: &str) -> PathBuf {
    if let Some(rest) = p.strip_prefix("~/")
        && let Some(home) = directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf())
    {
        return home.join(rest);
    }
    let p = PathBuf::from(p);
    if p.is_absolute() { p } else { base.join(p) }
}

/// Builds a [`Problem`] at a byte offset, telling the line, column and (when not given) the
/// key from the text around it.
fn problem_at(
    path: &Path,
    text: &str,
    offset: Option<usize>,
    key: Option<String>,
    message: String,
) -> Problem {
    let (line, column, found_key) = match offset {
        Some(off) => {
            let off = floor_char_boundary(text, off.min(text.len()));
            let before = &text[..off];
            let line = before.matches('\n').count() + 1;
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            let column = text[line_start..off].chars().count() + 1;
            (Some(line), Some(column), key_near(text, line))
        }
        None => (None, None, None),
    };
    Problem {
        path: path.to_path_buf(),
        line,
        column,
        key: key.or(found_key),
        message,
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The dotted key assigned on `line` (1-based) or the nearest assignment above it, prefixed
/// with the table it sits in.
fn key_near(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let idx = line.checked_sub(1)?;
    let mut assigned: Option<String> = None;
    let mut i = idx.min(lines.len().checked_sub(1)?);
    loop {
        let l = lines[i].trim();
        if let Some(h) = header_of(l) {
            return Some(match assigned {
                Some(k) => format!("{h}.{k}"),
                None => h,
            });
        }
        if assigned.is_none()
            && !l.starts_with('#')
            && let Some((k, _)) = l.split_once('=')
        {
            let k = k.trim();
            if looks_like_key(k) {
                assigned = Some(k.split('.').map(str::trim).collect::<Vec<_>>().join("."));
            }
        }
        if i == 0 {
            return assigned;
        }
        i -= 1;
    }
}

fn looks_like_key(k: &str) -> bool {
    if k.len() >= 2 && (k.starts_with('"') && k.ends_with('"')) {
        return true;
    }
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ' '))
}

/// `[a.b]` -> `a.b`.
fn header_of(line: &str) -> Option<String> {
    let inner = line.strip_prefix('[')?;
    let end = inner.find(']')?;
    let inner = inner[..end].trim_start_matches('[').trim();
    Some(
        inner
            .split('.')
            .map(str::trim)
            .collect::<Vec<_>>()
            .join("."),
    )
}

/// Replaces any value written as `private_key = "..."` in `text` with `***` in `message`, so
/// a parse error near a key cannot echo it.
fn redact_inline_keys(text: &str, message: &str) -> String {
    let mut out = message.to_string();
    for line in text.lines() {
        let l = line.trim_start();
        let Some(rest) = l.strip_prefix("private_key") else {
            continue;
        };
        let Some(value) = rest.trim_start().strip_prefix('=') else {
            continue;
        };
        let value = value.trim().trim_matches(['"', '\'']);
        if value.len() >= 4 {
            out = out.replace(value, "***");
        }
    }
    out
}

#[cfg(unix)]
fn too_open(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then_some(mode)
}

#[cfg(not(unix))]
fn too_open(_path: &Path) -> Option<u32> {
    None
}

fn open_warning(path: &Path, what: &str, mode: u32) -> String {
    format!(
        "{} {what} and is accessible by others (permissions {mode:04o}); \
         run `chmod 600 {}`",
        path.display(),
        path.display()
    )
}

fn config_permission_warning(path: &Path, cfg: &Config) -> Option<String> {
    let holds_key = cfg
        .profiles
        .values()
        .any(|p| matches!(p.key_source, KeySource::Inline(_)));
    if !holds_key {
        return None;
    }
    too_open(path).map(|mode| open_warning(path, "holds a private key", mode))
}

impl Config {
    /// The defaults, as when there is no file at `path`.
    pub fn empty(path: &Path) -> Config {
        Config {
            path: path.to_path_buf(),
            exists: false,
            default_profile: None,
            profiles: BTreeMap::new(),
            keys: BTreeMap::new(),
            history_keep_days: DEFAULT_HISTORY_KEEP_DAYS,
            mirror: MirrorSettings::default(),
            warnings: Vec::new(),
            timeout: Duration::from_secs(DEFAULT_TIMEOUT),
            bulk_timeout: Duration::from_secs(DEFAULT_BULK_TIMEOUT),
        }
    }

    /// No profile (no config file, or one with no profile yet): the TUI shows its
    /// first-run screen.
    pub fn is_first_run(&self) -> bool {
        self.profiles.is_empty()
    }

    pub fn profile_names(&self) -> Vec<String> {
        self.profiles.keys().cloned().collect()
    }

    /// The profile a choice names (no side effects): `--profile` / `PINSCOPE_PROFILE`,
    /// else an ad hoc session when `--host`/`--tracker-id` are given, else `default_profile`,
    /// else the only profile.
    pub fn select(&self, choice: &Choice) -> Result<Selected, ConfigError> {
        let named = |name: &str| -> Result<Profile, ConfigError> {
            self.profiles
                .get(name)
                .cloned()
                .ok_or_else(|| ConfigError::UnknownProfile {
                    name: name.to_string(),
                    path: self.path.clone(),
                    known: self.profile_names(),
                })
        };
        if let Some(host) = choice.host.as_deref().filter(|h| h.trim().is_empty()) {
            check_host(host, false).map_err(|m| ConfigError::Usage(format!("--host: {m}")))?;
        }
        let (mut profile, adhoc) = if let Some(name) = &choice.profile {
            (named(name)?, false)
        } else if choice.host.is_some() || choice.tracker_id.is_some() {
            let Some(tracker) = &choice.tracker_id else {
                return Err(ConfigError::Usage(
                    "--host without a profile needs --tracker-id too".into(),
                ));
            };
            (
                Profile {
                    name: ADHOC_PROFILE.to_string(),
                    host: DEFAULT_HOST.to_string(),
                    tracker_id: tracker.clone(),
                    key_source: KeySource::Missing,
                    read_only: false,
                    label: ADHOC_PROFILE.to_string(),
                    color: None,
                    production: false,
                    allow_insecure_http: false,
                    connect_timeout: Duration::from_secs(DEFAULT_CONNECT_TIMEOUT),
                    request_timeout: Duration::from_secs(DEFAULT_REQUEST_TIMEOUT),
                    retries: RetryPolicy::default().max_retries,
                    key_cmd_timeout: Duration::from_secs(DEFAULT_KEY_CMD_TIMEOUT),
                },
                true,
            )
        } else if let Some(name) = &self.default_profile {
            (named(name)?, false)
        } else {
            let mut all = self.profiles.values();
            match (all.next(), all.next()) {
                (Some(only), None) => (only.clone(), false),
                (None, _) => {
                    return Err(ConfigError::NoProfile {
                        path: self.path.clone(),
                        exists: self.exists,
                    });
                }
                (Some(_), Some(_)) => {
                    return Err(ConfigError::Ambiguous {
                        path: self.path.clone(),
                        known: self.profile_names(),
                    });
                }
            }
        };
        if let Some(host) = &choice.host {
            check_host(host, profile.allow_insecure_http)
                .map_err(|m| ConfigError::Usage(format!("--host: {m}")))?;
            profile.host = host.trim_end_matches('/').to_string();
        }
        if let Some(tracker) = &choice.tracker_id {
            crate::api::ids::tracker_id(tracker)
                .map_err(|m| ConfigError::Usage(format!("--tracker-id: {m}")))?;
            profile.tracker_id = tracker.clone();
        }
        Ok(Selected {
            profile,
            adhoc,
            keys: self.keys.clone(),
        })
    }

    /// `select` then `resolve`: the usual way to a [`Session`].
    pub fn session(&self, choice: &Choice) -> Result<Resolved, ConfigError> {
        self.select(choice)?.resolve()
    }
}

impl Selected {
    /// Resolves the key from the process environment and builds the session.
    pub fn resolve(&self) -> Result<Resolved, ConfigError> {
        self.resolve_with(&|name| std::env::var(name).ok())
    }

    /// Resolves the key, reading environment variables through `env`.
    pub fn resolve_with(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Resolved, ConfigError> {
        let p = &self.profile;
        let err = |message: String| ConfigError::Key {
            profile: p.name.clone(),
            message,
        };
        let mut warnings = Vec::new();
        let (key, source) = if let Some(k) = env(PRIVATE_KEY_ENV).filter(|k| !k.is_empty()) {
            (Secret::new(first_line(&k)), KeySource::Override)
        } else {
            let key = match &p.key_source {
                KeySource::Env(name) => match env(name) {
                    Some(v) if !v.trim().is_empty() => first_line(&v),
                    Some(_) => return Err(err(format!("environment variable {name} is empty"))),
                    None => return Err(err(format!("environment variable {name} is not set"))),
                },
                KeySource::Command(argv) => {
                    run_key_command(argv, p.key_cmd_timeout).map_err(err)?
                }
                KeySource::File(path) => {
                    if let Some(mode) = too_open(path) {
                        warnings.push(open_warning(path, "is a private key file", mode));
                    }
                    let bytes = std::fs::read(path).map_err(|e| {
                        err(format!("cannot read key file {}: {e}", path.display()))
                    })?;
                    let text = String::from_utf8(bytes).map_err(|_| {
                        err(format!("key file {} is not UTF-8 text", path.display()))
                    })?;
                    let key = first_line(&text);
                    if key.is_empty() {
                        return Err(err(format!("key file {} is empty", path.display())));
                    }
                    key
                }
                KeySource::Inline(k) => {
                    // Said when the profile is used, not for every profile of the file.
                    warnings.push(format!(
                        "profile {:?} keeps its private key in the config file; prefer \
                         private_key_env, private_key_cmd or private_key_file",
                        p.name
                    ));
                    k.expose().to_string()
                }
                KeySource::Override | KeySource::Missing => {
                    return Err(err(if self.adhoc {
                        format!(
                            "an ad hoc session takes its key from {PRIVATE_KEY_ENV}, which is not set"
                        )
                    } else {
                        format!(
                            "no key: set private_key_env, private_key_cmd or private_key_file \
                             in the profile, or {PRIVATE_KEY_ENV}"
                        )
                    }));
                }
            };
            (Secret::new(key), p.key_source.clone())
        };
        let mut client = ClientConfig::new(p.host.clone(), p.tracker_id.clone(), key);
        client.connect_timeout = p.connect_timeout;
        client.request_timeout = p.request_timeout;
        client.allow_insecure_http = p.allow_insecure_http;
        client.retry.max_retries = p.retries;
        let source = match source {
            KeySource::Inline(_) => KeySource::Inline(Secret::new("")),
            s => s,
        };
        Ok(Resolved {
            session: Session {
                profile_name: p.name.clone(),
                label: p.label.clone(),
                color: p.color.clone(),
                production: p.production,
                read_only: p.read_only,
                client,
                keys: self.keys.clone(),
            },
            key_source: source,
            warnings,
        })
    }
}

/// The first line, trimmed: `pass show` prints the password on the first line.
fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").trim().to_string()
}

/// Runs the key command without a shell. Its stdin is closed (so it cannot eat piped input);
/// a failure quotes the last line of its stderr, never its stdout. A command that runs
/// longer than `timeout` is killed.
fn run_key_command(argv: &[String], timeout: Duration) -> Result<String, String> {
    let Some((prog, args)) = argv.split_first() else {
        return Err("private_key_cmd is empty".into());
    };
    let shown = argv.join(" ");
    let mut child = Command::new(prog)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run key command `{shown}`: {e}"))?;
    // The pipes are drained on threads of their own, so a chatty command cannot block on a
    // full pipe while it is waited for. std has no wait with a timeout: poll.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = std::io::Read::read_to_end(&mut p, &mut buf);
            }
            buf
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let started = std::time::Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                // Its output is left unread: it is not needed, and a grandchild may hold
                // the pipe open.
                return Err(format!(
                    "key command `{shown}` did not finish within {} and was stopped \
                     (private_key_cmd_timeout_secs in the profile)",
                    crate::api::error::duration_words(timeout)
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("cannot wait for key command `{shown}`: {e}")),
        }
    };
    let out_bytes = stdout.join().unwrap_or_default();
    let err_bytes = stderr.join().unwrap_or_default();
    if !status.success() {
        let stderr = String::from_utf8_lossy(&err_bytes);
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(|l| {
                let l = crate::api::text::strip_controls(l.trim()).into_owned();
                let cut: String = l.chars().take(200).collect();
                format!(": {cut}")
            })
            .unwrap_or_default();
        return Err(format!("key command `{shown}` failed ({status}){last}"));
    }
    let text = String::from_utf8(out_bytes)
        .map_err(|_| format!("key command `{shown}` printed something that is not UTF-8"))?;
    let key = first_line(&text);
    if key.is_empty() {
        return Err(format!("key command `{shown}` printed nothing"));
    }
    Ok(key)
}

#[cfg(test)]
mod tests;
