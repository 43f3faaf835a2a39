use super::*;

fn p() -> PathBuf {
    PathBuf::from("/etc/pinscope/config.toml")
}

fn problems(text: &str) -> Vec<Problem> {
    match parse(&p(), text) {
        Err(ConfigError::Invalid(v)) => v,
        other => panic!("expected problems, got {other:?}"),
    }
}

fn one_problem(text: &str) -> Problem {
    let v = problems(text);
    assert_eq!(v.len(), 1, "{v:?}");
    v.into_iter().next().expect("one")
}

const FULL: &str = r#"
default_profile = "prod"

[keys]
quit = "q"
save = ["ctrl-s", "f2"]

[profiles.prod]
host = "https://live.luigisbox.tech/"
tracker_id = "1234-5678"
private_key_cmd = ["pass", "show", "lb/prod"]
read_only = true
label = "PRODUCTION"
color = "red"
production = true
connect_timeout_secs = 3
request_timeout_secs = 20
retries = 5

[profiles.stage]
tracker_id = "9999-0000"
private_key_env = "LB_STAGE_KEY"

[profiles.local]
host = "http://127.0.0.1:7700"
tracker_id = "1234-5678"
private_key_file = "keys/local.key"
"#;

#[test]
fn a_full_config_parses() {
    let cfg = parse(&p(), FULL).expect("parses");
    assert!(cfg.exists);
    assert!(!cfg.is_first_run());
    assert_eq!(cfg.default_profile.as_deref(), Some("prod"));
    assert_eq!(cfg.keys["quit"], vec!["q"]);
    assert_eq!(cfg.keys["save"], vec!["ctrl-s", "f2"]);
    let prod = &cfg.profiles["prod"];
    assert_eq!(prod.host, "https://live.luigisbox.tech");
    assert_eq!(prod.tracker_id, "1234-5678");
    assert_eq!(
        prod.key_source,
        KeySource::Command(vec!["pass".into(), "show".into(), "lb/prod".into()])
    );
    assert!(prod.read_only && prod.production);
    assert_eq!(prod.label, "PRODUCTION");
    assert_eq!(prod.color.as_deref(), Some("red"));
    assert_eq!(prod.connect_timeout, Duration::from_secs(3));
    assert_eq!(prod.request_timeout, Duration::from_secs(20));
    assert_eq!(prod.retries, 5);
    let stage = &cfg.profiles["stage"];
    assert_eq!(stage.host, DEFAULT_HOST);
    assert_eq!(stage.label, "stage");
    assert!(!stage.read_only && !stage.production);
    assert_eq!(stage.key_source, KeySource::Env("LB_STAGE_KEY".into()));
    assert_eq!(
        cfg.profiles["local"].key_source,
        KeySource::File(PathBuf::from("/etc/pinscope/keys/local.key"))
    );
    assert!(cfg.warnings.is_empty());
}

#[test]
fn an_empty_file_is_the_defaults() {
    let cfg = parse(&p(), "").expect("parses");
    assert!(cfg.profiles.is_empty() && cfg.keys.is_empty());
    assert!(cfg.exists, "a file that exists is not a first run");
    assert!(!cfg.is_first_run());
}

#[test]
fn a_missing_file_is_a_first_run() {
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = load(&dir.path().join("nope.toml")).expect("defaults");
    assert!(!cfg.exists);
    assert!(cfg.is_first_run());
    match cfg.select(&Choice::default()) {
        Err(ConfigError::NoProfile { exists: false, .. }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_keys_name_the_file_line_and_key() {
    let text = "[profiles.prod]\ntracker_id = \"1234-5678\"\nread_olny = true\n";
    let pr = one_problem(text);
    assert_eq!(pr.line, Some(3));
    assert_eq!(pr.key.as_deref(), Some("profiles.prod.read_olny"));
    assert!(pr.message.contains("unknown field"), "{}", pr.message);
    let shown = pr.to_string();
    assert!(
        shown.starts_with("/etc/pinscope/config.toml:3:1: profiles.prod.read_olny: unknown field"),
        "{shown}"
    );

    let pr = one_problem("default_profil = \"x\"\n");
    assert_eq!(pr.line, Some(1));
    assert_eq!(pr.key.as_deref(), Some("default_profil"));

    let pr = one_problem("# comment\n\n[profile.prod]\ntracker_id = \"1234-5678\"\n");
    assert_eq!(pr.line, Some(3));
    assert!(pr.message.contains("unknown field `profile`"), "{pr}");
}

#[test]
fn bad_values_name_the_file_line_and_key() {
    let pr = one_problem("[profiles.a]\ntracker_id = \"1234-5678\"\n\nread_only = \"yes\"\n");
    assert_eq!(pr.line, Some(4));
    assert_eq!(pr.key.as_deref(), Some("profiles.a.read_only"));
    assert!(pr.message.contains("invalid type"), "{}", pr.message);

    let pr = one_problem("[profiles.a]\ntracker_id = \"1234-5678\"\nhost = \"ftp://x\"\n");
    assert_eq!(
        (pr.line, pr.key.as_deref()),
        (Some(3), Some("profiles.a.host"))
    );

    let pr =
        one_problem("[profiles.a]\ntracker_id = \"1234-5678\"\nhost = \"http://example.com\"\n");
    assert!(pr.message.contains("allow_insecure_http"), "{pr}");
    parse(
        &p(),
        "[profiles.a]\ntracker_id = \"1234-5678\"\nhost = \"http://example.com\"\nallow_insecure_http = true\n",
    )
    .expect("allowed explicitly");

    let pr = one_problem("[profiles.a]\ntracker_id = \"1234-5678\"\ncolor = \"bluish\"\n");
    assert_eq!(
        (pr.line, pr.key.as_deref()),
        (Some(3), Some("profiles.a.color"))
    );

    let pr = one_problem("[profiles.a]\ntracker_id = \"1234-5678\"\nrequest_timeout_secs = 0\n");
    assert_eq!(pr.key.as_deref(), Some("profiles.a.request_timeout_secs"));

    let pr = one_problem("[profiles.a]\ntracker_id = \"1234-5678\"\nretries = 99\n");
    assert_eq!(pr.key.as_deref(), Some("profiles.a.retries"));

    let pr = one_problem("[profiles.a]\ntracker_id = \"1234-5678\"\nprivate_key_cmd = []\n");
    assert_eq!(pr.key.as_deref(), Some("profiles.a.private_key_cmd"));

    for bad in ["a/b", "..", "abc"] {
        let pr = one_problem(&format!("[profiles.a]\ntracker_id = \"{bad}\"\n"));
        assert_eq!(
            (pr.line, pr.key.as_deref()),
            (Some(2), Some("profiles.a.tracker_id")),
            "{bad}"
        );
    }

    let pr = one_problem("[profiles.a]\ntracker_id = \"1234-5678\"\nretries = -1\n");
    assert_eq!(
        (pr.line, pr.key.as_deref()),
        (Some(3), Some("profiles.a.retries"))
    );
}

#[test]
fn missing_tracker_and_two_key_sources_are_errors() {
    let v = problems(
        "[profiles.a]\nhost = \"https://x.example\"\n\n[profiles.b]\ntracker_id = \"1234-5678\"\nprivate_key_env = \"X\"\nprivate_key_file = \"/k\"\n",
    );
    assert_eq!(v.len(), 2, "{v:?}");
    assert_eq!(v[0].key.as_deref(), Some("profiles.a"));
    assert!(v[0].message.contains("missing tracker_id"));
    assert_eq!(v[1].key.as_deref(), Some("profiles.b"));
    assert!(v[1].message.contains("more than one key source"));
    assert!(v[0].line.is_some() && v[1].line.is_some());
}

#[test]
fn default_profile_must_exist() {
    let pr =
        one_problem("default_profile = \"prd\"\n[profiles.prod]\ntracker_id = \"1234-5678\"\n");
    assert_eq!(
        (pr.line, pr.key.as_deref()),
        (Some(1), Some("default_profile"))
    );
    assert!(pr.message.contains("known: prod"), "{pr}");
}

#[test]
fn keys_take_a_string_or_an_array() {
    let pr = one_problem("[keys]\nquit = 3\n");
    assert_eq!((pr.line, pr.key.as_deref()), (Some(2), Some("keys.quit")));
    let pr = one_problem("[keys]\nquit = []\n");
    assert_eq!(pr.key.as_deref(), Some("keys.quit"));
    let pr = one_problem("[keys]\nquit = [\"q\", 1]\n");
    assert_eq!(pr.key.as_deref(), Some("keys.quit"));
}

#[test]
fn syntax_errors_have_a_line() {
    let pr = one_problem("[profiles.a]\ntracker_id = \"t\nx = 1\n");
    assert_eq!(pr.line, Some(2));
}

#[test]
fn an_inline_key_warns_and_never_shows() {
    let cfg = parse(
        &p(),
        "[profiles.a]\ntracker_id = \"1234-5678\"\nprivate_key = \"INLINE-SECRET-123\"\n",
    )
    .expect("parses");
    assert_eq!(cfg.warnings.len(), 1);
    assert!(cfg.warnings[0].contains("keeps its private key in the config file"));
    let dump = format!("{cfg:?}");
    assert!(!dump.contains("INLINE-SECRET-123"), "{dump}");
    let r = cfg
        .select(&Choice::default())
        .expect("select")
        .resolve_with(&|_| None)
        .expect("resolves");
    assert_eq!(r.session.client.key.expose(), "INLINE-SECRET-123");
    let dump = format!("{r:?}");
    assert!(!dump.contains("INLINE-SECRET-123"), "{dump}");

    // A broken line near the key must not echo it.
    for text in [
        "[profiles.a]\ntracker_id = \"1234-5678\"\nprivate_key = \"INLINE-SECRET-123\nx = 1\n",
        "[profiles.a]\ntracker_id = \"1234-5678\"\nprivate_key = INLINE-SECRET-123\n",
        "[profiles.a]\ntracker_id = \"1234-5678\"\nprivate_key = [\"INLINE-SECRET-123\"]\n",
        "[profiles.a]\ntracker_id = \"1234-5678\"\nprivate_key = \"INLINE-SECRET-123\"\nprivate_key_env = \"X\"\n",
        "[profiles.a]\ntracker_id = \"1234-5678\"\nprivate_key = \"INLINE-SECRET-123\"\nbogus = \"INLINE-SECRET-123\"\n",
    ] {
        let err = parse(&p(), text).expect_err("invalid");
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("INLINE-SECRET-123"), "{shown}");
    }
}

#[cfg(unix)]
#[test]
fn files_others_can_read_get_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tmp");
    let cfg_path = dir.path().join("config.toml");
    std::fs::write(
        &cfg_path,
        "[profiles.a]\ntracker_id = \"1234-5678\"\nprivate_key = \"k\"\n",
    )
    .expect("write");
    std::fs::set_permissions(&cfg_path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let cfg = load(&cfg_path).expect("loads");
    assert!(
        cfg.warnings
            .iter()
            .any(|w| w.contains("0644") && w.contains("chmod 600")),
        "{:?}",
        cfg.warnings
    );
    std::fs::set_permissions(&cfg_path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let cfg = load(&cfg_path).expect("loads");
    assert!(!cfg.warnings.iter().any(|w| w.contains("WARNING")));

    // A config without a key may be readable by anyone.
    std::fs::write(&cfg_path, "[profiles.a]\ntracker_id = \"1234-5678\"\n").expect("write");
    std::fs::set_permissions(&cfg_path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    assert!(load(&cfg_path).expect("loads").warnings.is_empty());

    // Key files.
    let key = dir.path().join("k.key");
    std::fs::write(&key, "FILE-KEY\nsecond line\n").expect("write");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    std::fs::write(
        &cfg_path,
        "[profiles.a]\ntracker_id = \"1234-5678\"\nprivate_key_file = \"k.key\"\n",
    )
    .expect("write");
    let r = load(&cfg_path)
        .expect("loads")
        .session(&Choice::default())
        .expect("resolves");
    assert_eq!(r.session.client.key.expose(), "FILE-KEY");
    assert_eq!(r.key_source, KeySource::File(key.clone()));
    assert!(
        r.warnings.iter().any(|w| w.contains("0640")),
        "{:?}",
        r.warnings
    );
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let r = load(&cfg_path)
        .expect("loads")
        .session(&Choice::default())
        .expect("resolves");
    assert!(r.warnings.is_empty());
}

fn cfg() -> Config {
    parse(&p(), FULL).expect("parses")
}

#[test]
fn selection_rules() {
    let c = cfg();
    let s = c.select(&Choice::default()).expect("default");
    assert_eq!(s.profile.name, "prod");
    assert!(!s.adhoc);

    let s = c
        .select(&Choice {
            profile: Some("stage".into()),
            host: Some("https://live.luigisbox.tech".into()),
            ..Choice::default()
        })
        .expect("named");
    assert_eq!(s.profile.name, "stage");
    assert_eq!(s.profile.host, "https://live.luigisbox.tech");
    assert_eq!(s.profile.tracker_id, "9999-0000");

    match c.select(&Choice {
        profile: Some("nope".into()),
        ..Choice::default()
    }) {
        Err(e @ ConfigError::UnknownProfile { .. }) => {
            assert!(e.to_string().contains("known: local, prod, stage"), "{e}")
        }
        other => panic!("{other:?}"),
    }

    let s = c
        .select(&Choice {
            tracker_id: Some("4321-8765".into()),
            ..Choice::default()
        })
        .expect("adhoc");
    assert!(s.adhoc);
    assert_eq!(s.profile.name, ADHOC_PROFILE);
    assert_eq!(s.profile.host, DEFAULT_HOST);
    assert_eq!(s.profile.tracker_id, "4321-8765");
    for bad in ["..", "abc", "1234-5678/..", ""] {
        match c.select(&Choice {
            tracker_id: Some(bad.into()),
            ..Choice::default()
        }) {
            Err(ConfigError::Usage(m)) => assert!(m.contains("not a tracker id"), "{m}"),
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    assert!(!s.profile.read_only);

    match c.select(&Choice {
        host: Some("https://x.example".into()),
        ..Choice::default()
    }) {
        Err(ConfigError::Usage(m)) => assert!(m.contains("--tracker-id")),
        other => panic!("{other:?}"),
    }
    match c.select(&Choice {
        host: Some("http://example.com".into()),
        tracker_id: Some("1234-5678".into()),
        ..Choice::default()
    }) {
        Err(ConfigError::Usage(m)) => assert!(m.contains("--host")),
        other => panic!("{other:?}"),
    }

    let two = parse(
        &p(),
        "[profiles.a]\ntracker_id = \"1-1\"\n[profiles.b]\ntracker_id = \"2-2\"\n",
    )
    .expect("parses");
    assert!(matches!(
        two.select(&Choice::default()),
        Err(ConfigError::Ambiguous { .. })
    ));
    let one = parse(&p(), "[profiles.a]\ntracker_id = \"1-1\"\n").expect("parses");
    assert_eq!(
        one.select(&Choice::default()).expect("only").profile.name,
        "a"
    );
    assert!(matches!(
        parse(&p(), "").expect("empty").select(&Choice::default()),
        Err(ConfigError::NoProfile { exists: true, .. })
    ));
}

fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }
}

#[test]
fn key_sources_resolve() {
    let c = cfg();
    let stage = c
        .select(&Choice {
            profile: Some("stage".into()),
            ..Choice::default()
        })
        .expect("stage");
    let r = stage
        .resolve_with(&env_of(&[("LB_STAGE_KEY", "stage-key\n")]))
        .expect("env");
    assert_eq!(r.session.client.key.expose(), "stage-key");
    assert_eq!(r.key_source, KeySource::Env("LB_STAGE_KEY".into()));
    assert_eq!(r.session.client.tracker_id, "9999-0000");

    // PINSCOPE_PRIVATE_KEY wins over the profile's source.
    let r = stage
        .resolve_with(&env_of(&[
            ("LB_STAGE_KEY", "stage-key"),
            (PRIVATE_KEY_ENV, "override"),
        ]))
        .expect("override");
    assert_eq!(r.session.client.key.expose(), "override");
    assert_eq!(r.key_source, KeySource::Override);

    match stage.resolve_with(&env_of(&[])) {
        Err(e @ ConfigError::Key { .. }) => {
            assert!(e.to_string().contains("LB_STAGE_KEY is not set"), "{e}")
        }
        other => panic!("{other:?}"),
    }

    let prod = c.select(&Choice::default()).expect("prod");
    let r = prod
        .resolve_with(&env_of(&[(PRIVATE_KEY_ENV, "k")]))
        .expect("resolves");
    let s = &r.session;
    assert_eq!(s.profile_name, "prod");
    assert_eq!(s.label, "PRODUCTION");
    assert!(s.read_only && s.production);
    assert_eq!(s.client.host, "https://live.luigisbox.tech");
    assert_eq!(s.client.connect_timeout, Duration::from_secs(3));
    assert_eq!(s.client.request_timeout, Duration::from_secs(20));
    assert_eq!(s.client.retry.max_retries, 5);
    assert_eq!(s.keys["save"], vec!["ctrl-s", "f2"]);

    let adhoc = c
        .select(&Choice {
            tracker_id: Some("1234-5678".into()),
            host: Some("http://127.0.0.1:9".into()),
            ..Choice::default()
        })
        .expect("adhoc");
    match adhoc.resolve_with(&env_of(&[])) {
        Err(e) => assert!(e.to_string().contains(PRIVATE_KEY_ENV), "{e}"),
        Ok(_) => panic!("no key"),
    }
    let r = adhoc
        .resolve_with(&env_of(&[(PRIVATE_KEY_ENV, "adhoc-key")]))
        .expect("adhoc");
    assert_eq!(r.session.client.host, "http://127.0.0.1:9");
    assert_eq!(r.session.profile_name, "adhoc");
}

#[cfg(unix)]
#[test]
fn key_commands_run_without_a_shell() {
    let c = parse(
        &p(),
        "[profiles.a]\ntracker_id = \"1234-5678\"\nprivate_key_cmd = [\"printf\", \"CMD-KEY\\nnotes: x\\n\"]\n\
         [profiles.fails]\ntracker_id = \"1234-5678\"\nprivate_key_cmd = [\"sh\", \"-c\", \"printf '%s-%s' LEAKY STDOUT; echo not in the store >&2; exit 3\"]\n\
         [profiles.missing]\ntracker_id = \"1234-5678\"\nprivate_key_cmd = [\"/nonexistent/pinscope-key-program\"]\n\
         [profiles.silent]\ntracker_id = \"1234-5678\"\nprivate_key_cmd = [\"true\"]\n\
         [profiles.shell]\ntracker_id = \"1234-5678\"\nprivate_key_cmd = [\"echo\", \"$HOME\"]\n",
    )
    .expect("parses");
    let get = |name: &str| {
        c.select(&Choice {
            profile: Some(name.into()),
            ..Choice::default()
        })
        .expect("select")
        .resolve_with(&|_| None)
    };
    let r = get("a").expect("runs");
    assert_eq!(r.session.client.key.expose(), "CMD-KEY");
    let e = get("fails").expect_err("fails").to_string();
    assert!(e.contains("not in the store") && e.contains("3"), "{e}");
    assert!(!e.contains("LEAKY-STDOUT"), "{e}");
    let e = get("missing").expect_err("fails").to_string();
    assert!(e.contains("cannot run"), "{e}");
    let e = get("silent").expect_err("fails").to_string();
    assert!(e.contains("printed nothing"), "{e}");
    // No shell: `$HOME` stays as written.
    assert_eq!(
        get("shell").expect("runs").session.client.key.expose(),
        "$HOME"
    );
}

#[test]
fn key_near_finds_keys() {
    let text = "a = 1\n[profiles.\"my prod\"]\nx = [\n  1,\n  2,\n]\n";
    assert_eq!(key_near(text, 1).as_deref(), Some("a"));
    assert_eq!(key_near(text, 2).as_deref(), Some("profiles.\"my prod\""));
    assert_eq!(key_near(text, 5).as_deref(), Some("profiles.\"my prod\".x"));
}

/// Every key the file format accepts, so the example cannot fall behind.
const PROFILE_FIELDS: [&str; 15] = [
    "host",
    "tracker_id",
    "private_key_env",
    "private_key_cmd",
    "private_key_file",
    "private_key",
    "read_only",
    "label",
    "color",
    "production",
    "allow_insecure_http",
    "connect_timeout_secs",
    "request_timeout_secs",
    "retries",
    "private_key_cmd_timeout_secs",
];

#[test]
fn the_example_config_parses_and_documents_every_setting() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let text = std::fs::read_to_string(&path).expect("config.example.toml");
    let cfg = parse(&path, &text).expect("the example parses");
    assert!(cfg.warnings.is_empty(), "{:?}", cfg.warnings);
    assert_eq!(cfg.default_profile.as_deref(), Some("staging"));
    let sources: Vec<&KeySource> = cfg.profiles.values().map(|p| &p.key_source).collect();
    assert!(sources.iter().any(|s| matches!(s, KeySource::Env(_))));
    assert!(sources.iter().any(|s| matches!(s, KeySource::Command(_))));
    assert!(sources.iter().any(|s| matches!(s, KeySource::File(_))));
    assert!(cfg.profiles.values().any(|p| p.read_only));
    assert!(cfg.profiles.values().any(|p| p.production));
    assert!(!cfg.keys.is_empty());
    assert_eq!(cfg.timeout, Duration::from_secs(300));
    assert_eq!(cfg.bulk_timeout, Duration::from_secs(21600));
    assert_eq!(cfg.history_keep_days, 90);
    for field in [
        "default_profile",
        "timeout_secs",
        "bulk_timeout_secs",
        "[keys]",
        "[history]",
        "keep_days",
    ]
    .into_iter()
    .chain(PROFILE_FIELDS)
    {
        assert!(
            text.contains(&format!("\n{field} ="))
                || text.contains(&format!("# {field} ="))
                || text.contains(&format!("\n{field}\n")),
            "config.example.toml does not document {field}"
        );
    }
    // Each documented profile key is one the parser knows.
    for field in PROFILE_FIELDS {
        let value = match field {
            "private_key_cmd" => "[\"x\"]",
            "read_only" | "production" | "allow_insecure_http" => "false",
            "connect_timeout_secs"
            | "request_timeout_secs"
            | "retries"
            | "private_key_cmd_timeout_secs" => "3",
            "host" => "\"https://x.example\"",
            "color" => "\"red\"",
            _ => "\"x\"",
        };
        let text = if field == "tracker_id" {
            "[profiles.a]\ntracker_id = \"1-2\"\n".to_string()
        } else {
            format!("[profiles.a]\ntracker_id = \"1234-5678\"\n{field} = {value}\n")
        };
        parse(&p(), &text).unwrap_or_else(|e| panic!("{field}: {e}"));
    }
}

#[cfg(unix)]
#[test]
fn a_key_command_that_hangs_is_stopped_and_its_output_never_shown() {
    // It prints a key, then hangs: the message names the command, never what it printed.
    let argv: Vec<String> = [
        "sh",
        "-c",
        "printf '%s%s\\n' hunter2 -secret; exec sleep 100",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let e = run_key_command(&argv, Duration::from_millis(300)).expect_err("timed out");
    assert!(e.contains("did not finish within"), "{e}");
    assert!(e.contains("key command `sh -c"), "{e}");
    assert!(!e.contains("hunter2-secret"), "{e}");
    let argv: Vec<String> = ["sleep", "100"].iter().map(|s| s.to_string()).collect();
    let e = run_key_command(&argv, Duration::from_millis(300)).expect_err("timed out");
    assert_eq!(
        e,
        "key command `sleep 100` did not finish within 300ms and was stopped \
         (private_key_cmd_timeout_secs in the profile)"
    );
    // A quick one still works.
    let argv: Vec<String> = ["echo", "k3y"].iter().map(|s| s.to_string()).collect();
    assert_eq!(
        run_key_command(&argv, Duration::from_secs(30)).as_deref(),
        Ok("k3y")
    );
}

#[test]
fn time_limits_are_read_and_checked() {
    let text = "timeout_secs = 90\nbulk_timeout_secs = 600\n[profiles.a]\ntracker_id = \"1234-5678\"\nprivate_key_cmd = [\"x\"]\nprivate_key_cmd_timeout_secs = 5\n";
    let cfg = parse(&p(), text).expect("parses");
    assert_eq!(cfg.timeout, Duration::from_secs(90));
    assert_eq!(cfg.bulk_timeout, Duration::from_secs(600));
    assert_eq!(cfg.profiles["a"].key_cmd_timeout, Duration::from_secs(5));
    let e = parse(&p(), "timeout_secs = 0\n").expect_err("zero");
    assert!(e.to_string().contains("timeout_secs"), "{e}");
    assert!(e.to_string().contains(":1:"), "{e}");
    let defaults = parse(&p(), "").expect("empty");
    assert_eq!(defaults.timeout, Duration::from_secs(DEFAULT_TIMEOUT));
}

#[test]
fn history_keep_days_is_read_and_checked() {
    let cfg = parse(&p(), "[history]\nkeep_days = 7\n").expect("parses");
    assert_eq!(cfg.history_keep_days, 7);
    let cfg = parse(&p(), "").expect("parses");
    assert_eq!(cfg.history_keep_days, DEFAULT_HISTORY_KEEP_DAYS);
    let pr = one_problem("[history]\nkeep_days = 0\n");
    assert_eq!(pr.key.as_deref(), Some("history.keep_days"));
    assert_eq!(pr.line, Some(2));
}

#[test]
fn mirror_max_age_defaults_parses_and_names_bad_values() {
    let cfg = parse(&p(), "").expect("empty");
    assert_eq!(cfg.mirror.max_age, Duration::from_secs(300));
    let cfg = parse(&p(), "[mirror]\nmax_age = \"90s\"\n").expect("90s");
    assert_eq!(cfg.mirror.max_age, Duration::from_secs(90));
    let cfg = parse(&p(), "[mirror]\nmax_age = \"1h 30m\"\n").expect("1h30m");
    assert_eq!(cfg.mirror.max_age, Duration::from_secs(5400));
    let pr = one_problem("[mirror]\n\nmax_age = \"soon\"\n");
    assert_eq!(
        (pr.line, pr.key.as_deref()),
        (Some(3), Some("mirror.max_age"))
    );
    assert!(pr.message.contains("not a duration"), "{pr}");
    let pr = one_problem("[mirror]\nmax_age = \"-5m\"\n");
    assert!(pr.message.contains("negative"), "{pr}");
    let pr = one_problem("[mirror]\nmaxage = \"5m\"\n");
    assert!(pr.message.contains("unknown field"), "{pr}");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let text = std::fs::read_to_string(&example).expect("config.example.toml");
    let cfg = parse(&example, &text).expect("the example parses");
    assert_eq!(cfg.mirror.max_age, DEFAULT_MIRROR_MAX_AGE);
    assert!(text.contains("\n[mirror]\n") && text.contains("\nmax_age = "));
}
