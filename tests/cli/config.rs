//! Config files, profiles, key sources and read-only profiles, through the binary.

use crate::harness::{Emu, Env, KEY, Run, TRACKER, item, path_str, write_json};

#[test]
fn bad_config_files_name_the_file_line_and_key() {
    let env = Env::new();
    let file = path_str(&env.config).to_string();

    env.write_config(
        "default_profile = \"a\"\n\n[profiles.a]\ntracker_id = \"1234-5678\"\nprivate_key_env = \"X\"\nread_olny = true\n",
    );
    for args in [&["summary"][..], &["config", "check"], &["list"]] {
        env.run(args).code(2).stderr_has(&format!(
            "error: {file}:6:1: profiles.a.read_olny: unknown field"
        ));
    }

    env.write_config("[profiles.a]\ntracker_id = \"1234-5678\"\nproduction = \"yes\"\n");
    env.run(&["summary"])
        .code(2)
        .stderr_has(&format!("{file}:3:"))
        .stderr_has("profiles.a.production")
        .stderr_has("invalid type");

    env.write_config("[profiles.a]\ntracker_id = \"1234-5678\"\nhost = \"ftp://example.com\"\n");
    env.run(&["config", "check"])
        .code(2)
        .stderr_has(&format!("{file}:3:"))
        .stderr_has("profiles.a.host");

    env.write_config("[keys]\nquit = 5\n");
    env.run(&["config", "check"])
        .code(2)
        .stderr_has(&format!("{file}:2:"))
        .stderr_has("keys.quit");

    env.write_config("[profiles.a\ntracker_id = \"1234-5678\"\n");
    env.run(&["summary"])
        .code(2)
        .stderr_has(&format!("{file}:1:"));

    // The file named by --config wins over PINSCOPE_CONFIG.
    let other = env.write("other.toml", "colour = \"red\"\n");
    env.run(&["--config", path_str(&other), "summary"])
        .code(2)
        .stderr_has(&format!("{}:1:1: colour: unknown field", path_str(&other)));
}

#[test]
fn config_path_and_check() {
    let emu = Emu::start();
    let env = Env::for_emu(&emu, "label = \"EMU\"\ncolor = \"yellow\"\n");
    let r = env.run(&["config", "path"]);
    r.ok();
    assert_eq!(r.stdout.trim(), path_str(&env.config));
    let other = env.path("elsewhere.toml");
    let r = env.run(&["config", "path", "--config", path_str(&other)]);
    r.ok().stderr_has("no file there yet");
    assert_eq!(r.stdout.trim(), path_str(&other));

    let r = env.run(&["config", "check"]);
    r.ok();
    assert!(
        r.stdout.contains("ok: profile emu (default)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("key from environment variable TEST_KEY"));
    assert!(!r.stdout.contains(KEY) && !r.stderr.contains(KEY));

    // Online: signs in to the tracker.
    let r = env.run(&["config", "check", "--online"]);
    r.ok();
    assert!(
        r.stdout.contains("signed in (0 customizations)"),
        "{}",
        r.stdout
    );
    let wrong = Run::from(
        env.cmd()
            .args(["config", "check", "--online"])
            .env("TEST_KEY", "not-the-key")
            .output()
            .expect("runs"),
    );
    wrong
        .code(1)
        .stderr_has("error: profile emu (default): 401")
        .stderr_has("1 profile could not sign in");

    // A profile whose key cannot be found: exit 2, and the others are still checked.
    std::fs::write(
        &env.config,
        format!(
            "{}\n[profiles.broken]\ntracker_id = \"1234-5678\"\nprivate_key_cmd = [\"false\"]\n\n[profiles.nokey]\ntracker_id = \"1234-5678\"\n",
            std::fs::read_to_string(&env.config).expect("read")
        ),
    )
    .expect("write");
    let r = env.run(&["config", "check"]);
    r.code(2)
        .stderr_has("profile \"broken\": key command `false` failed")
        .stderr_has("profile \"nokey\": no key")
        .stderr_has("2 problems");
    assert!(r.stdout.contains("ok: profile emu"), "{}", r.stdout);

    // With no file at all: exit 2 with a pointer to what to write.
    let empty = Env::new();
    empty
        .run(&["config", "check"])
        .code(2)
        .stderr_has("no config file at")
        .stderr_has("[profiles.NAME]");
}

#[test]
fn profiles_are_chosen_by_option_variable_and_default() {
    let emu_a = Emu::with_rows(vec![item("a", "/p/1", &[])]);
    let emu_b = Emu::with_rows(vec![item("b", "/p/1", &[]), item("b", "/p/2", &[])]);
    let env = Env::new();
    env.write_config(&format!(
        "default_profile = \"a\"\n[profiles.a]\nhost = \"{}\"\ntracker_id = \"{TRACKER}\"\nprivate_key_env = \"TEST_KEY\"\n\
         [profiles.b]\nhost = \"{}\"\ntracker_id = \"{TRACKER}\"\nprivate_key_env = \"TEST_KEY\"\n",
        emu_a.url, emu_b.url
    ));
    let models = |r: &Run| -> Vec<String> {
        r.ndjson()
            .iter()
            .map(|c| c["model"].as_str().expect("model").to_string())
            .collect()
    };
    let r = env.run(&["list"]);
    r.ok();
    assert_eq!(models(&r), ["a"]);
    let r = env.run(&["list", "--profile", "b"]);
    assert_eq!(models(&r), ["b", "b"]);
    let r = Run::from(
        env.cmd()
            .arg("list")
            .env("PINSCOPE_PROFILE", "b")
            .output()
            .expect("runs"),
    );
    assert_eq!(models(&r), ["b", "b"]);
    // The option beats the variable.
    let r = Run::from(
        env.cmd()
            .args(["list", "-p", "a"])
            .env("PINSCOPE_PROFILE", "b")
            .output()
            .expect("runs"),
    );
    assert_eq!(models(&r), ["a"]);
    env.run(&["list", "--profile", "c"])
        .code(2)
        .stderr_has("no profile named \"c\"")
        .stderr_has("known: a, b");
}

#[test]
fn each_key_source_works() {
    let emu = Emu::with_rows(vec![item("basket", "/p/1", &[])]);
    let env = Env::new();
    let key_file = env.write("lb.key", &format!("{KEY}\n"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let script = env.write("key.sh", &format!("echo {KEY}\necho 'url: example'\n"));
    env.write_config(&format!(
        "[profiles.env]\nhost = \"{u}\"\ntracker_id = \"{TRACKER}\"\nprivate_key_env = \"TEST_KEY\"\n\
         [profiles.cmd]\nhost = \"{u}\"\ntracker_id = \"{TRACKER}\"\nprivate_key_cmd = [\"sh\", \"{s}\"]\n\
         [profiles.file]\nhost = \"{u}\"\ntracker_id = \"{TRACKER}\"\nprivate_key_file = \"lb.key\"\n\
         [profiles.wrong]\nhost = \"{u}\"\ntracker_id = \"{TRACKER}\"\nprivate_key_env = \"WRONG_KEY\"\n",
        u = emu.url,
        s = path_str(&script),
    ));
    for profile in ["env", "cmd", "file"] {
        let r = env.run(&["summary", "--profile", profile]);
        r.ok();
        assert_eq!(r.json()["scope_counts"]["basket"], 1, "{profile}");
        assert!(!r.stderr.contains("warning"), "{profile}: {}", r.stderr);
    }
    // A wrong key: 401.
    let wrong = |extra: Option<&str>| {
        let mut c = env.cmd();
        c.args(["summary", "--profile", "wrong"])
            .env("WRONG_KEY", "not-the-key");
        if let Some(k) = extra {
            c.env("PINSCOPE_PRIVATE_KEY", k);
        }
        Run::from(c.output().expect("runs"))
    };
    wrong(None).code(1).stderr_has("401");
    // PINSCOPE_PRIVATE_KEY overrides the profile's source.
    wrong(Some(KEY)).ok();
    // An unset variable: exit 2 naming it.
    env.run(&["summary", "--profile", "wrong"])
        .code(2)
        .stderr_has("environment variable WRONG_KEY is not set");

    // A key file others can read works, with a warning as ssh gives.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        env.run(&["summary", "--profile", "file"])
            .ok()
            .stderr_has("warning: ")
            .stderr_has("permissions 0644")
            .stderr_has("chmod 600");
        std::fs::remove_file(&key_file).expect("rm");
        env.run(&["summary", "--profile", "file"])
            .code(2)
            .stderr_has("cannot read key file");
    }
}

#[test]
fn a_key_in_the_config_file_works_but_warns() {
    let emu = Emu::start();
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.inline]\nhost = \"{}\"\ntracker_id = \"{TRACKER}\"\nprivate_key = \"{KEY}\"\n",
        emu.url
    ));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&env.config, std::fs::Permissions::from_mode(0o644))
            .expect("chmod");
    }
    let r = env.run(&["summary"]);
    r.ok()
        .stderr_has("keeps its private key in the config file");
    #[cfg(unix)]
    r.stderr_has("holds a private key and is accessible by others");
    assert!(!r.stderr.contains(KEY) && !r.stdout.contains(KEY));
}

#[test]
fn a_read_only_profile_refuses_every_write() {
    let emu = Emu::with_rows(vec![item("basket", "/p/1", &[])]);
    let env = Env::for_emu(&emu, "read_only = true");
    let id = env.run(&["list"]).ndjson()[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let file = write_json(&env, "c.json", &item("home", "/p/2", &[]));
    for args in [
        vec!["create", path_str(&file)],
        vec!["update", &id, path_str(&file)],
        vec!["delete", &id, "--yes"],
        vec!["delete", &id],
    ] {
        env.run(&args)
            .code(2)
            .stderr_has("profile \"emu\" is read-only: refusing to");
    }
    assert_eq!(emu.count(), 1);
    assert_eq!(env.run(&["get", &id]).json()["model"], "basket");
    // Reads work.
    env.run(&["summary"]).ok();
    env.run(&["export"]).ok();
}

#[test]
fn config_init_writes_a_starter_once_and_never_overwrites() {
    let env = Env::new();
    let nested = env.path("sub/dir/config.toml");
    let r = env.run(&["config", "init", "--config", path_str(&nested)]);
    r.ok();
    assert_eq!(r.stdout.trim(), path_str(&nested));
    let written = std::fs::read_to_string(&nested).expect("written");
    assert_eq!(written, pinscope::config::STARTER);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&nested)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "only the owner may read it: {mode:o}");
    }
    // The starter loads (as no profile yet) and check says what is missing.
    env.run(&["config", "check", "--config", path_str(&nested)])
        .code(2)
        .stderr_has("[profiles.NAME]");

    // An existing file, the user's, stays as it is.
    env.write_config("# mine\n[profiles.a]\ntracker_id = \"1234-5678\"\nprivate_key_env = \"X\"\n");
    env.run(&["config", "init"])
        .code(2)
        .stderr_has("already exists")
        .stderr_has(path_str(&env.config));
    assert!(
        std::fs::read_to_string(&env.config)
            .expect("config")
            .starts_with("# mine\n")
    );
}

/// An `$EDITOR` that replaces the file it is given with `text` (through `sh -c`).
fn editor_writing(env: &Env, name: &str, text: &str) -> String {
    let source = env.write(name, text);
    format!("cp '{}'", path_str(&source))
}

#[test]
fn config_edit_runs_the_editor_then_checks_the_file() {
    let env = Env::new();
    // No file yet: the starter is written, the editor fills it in, the check passes.
    let good = "[profiles.a]\ntracker_id = \"1234-5678\"\nprivate_key_env = \"X\"\n";
    let editor = editor_writing(&env, "good.toml", good);
    let r = Run::from(
        env.cmd()
            .args(["config", "edit"])
            .env("EDITOR", &editor)
            .output()
            .expect("runs"),
    );
    r.ok().stderr_has("ok");
    assert_eq!(std::fs::read_to_string(&env.config).expect("config"), good);

    // An edit that breaks the file: the problem is named by file, line and key; exit 2.
    let editor = editor_writing(
        &env,
        "bad.toml",
        "[profiles.a]\ntracker_id = \"1234-5678\"\nread_olny = true\n",
    );
    let r = Run::from(
        env.cmd()
            .args(["config", "edit"])
            .env("VISUAL", &editor)
            .output()
            .expect("runs"),
    );
    r.code(2).stderr_has(&format!(
        "{}:3:1: profiles.a.read_olny: unknown field",
        path_str(&env.config)
    ));

    // An editor that fails is reported, and the file is not checked as if edited.
    let r = Run::from(
        env.cmd()
            .args(["config", "edit"])
            .env("EDITOR", "false")
            .output()
            .expect("runs"),
    );
    r.code(2).stderr_has("\"false\" exited with");
}

#[test]
fn key_warnings_name_only_the_profiles_used_once_each() {
    let emu = Emu::start();
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.a]\nhost = \"{url}\"\ntracker_id = \"{TRACKER}\"\nprivate_key = \"{KEY}\"\n\
         [profiles.b]\nhost = \"{url}\"\ntracker_id = \"1111-2222\"\nprivate_key = \"{KEY}\"\n\
         [profiles.unused]\ntracker_id = \"3333-4444\"\nprivate_key = \"{KEY}\"\n",
        url = emu.url
    ));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&env.config, std::fs::Permissions::from_mode(0o644))
            .expect("chmod");
    }
    let r = env.run(&["copy", "--from", "a", "--to", "b", "--dry-run"]);
    let said = |needle: &str| r.stderr.matches(needle).count();
    assert_eq!(
        said("profile \"a\" keeps its private key"),
        1,
        "{}",
        r.stderr
    );
    assert_eq!(
        said("profile \"b\" keeps its private key"),
        1,
        "{}",
        r.stderr
    );
    assert_eq!(said("\"unused\""), 0, "{}", r.stderr);
    #[cfg(unix)]
    assert_eq!(said("accessible by others"), 1, "{}", r.stderr);
    assert!(!r.stderr.contains("WARNING"), "{}", r.stderr);
    assert!(!r.stderr.contains(KEY), "{}", r.stderr);
}
