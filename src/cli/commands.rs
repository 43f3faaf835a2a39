//! get, list, create, update, delete, summary, export, completions.

use std::collections::HashSet;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, CommandFactory};

use super::mirror_cmd::{has_mirror, record_write, resolve_id};
use super::output::{Ndjson, print_lines, print_object};
use super::{Cli, Failure, GlobalArgs, Outcome, Target, block_on, body, exit, interactive, note};
use crate::api::client::{MAX_PAGE, Paging};
use crate::api::{ApiError, Customization, ExportQuery, ListQuery};
use crate::mirror::Scope;
use crate::mirror::history::OpKind;

const TARGET_TYPES: [&str; 3] = ["item", "criteria", "all"];

#[derive(Debug, Args)]
pub struct GetArgs {
    /// The customization's id: the UUID, or a unique prefix of it (the 8 characters shown
    /// in lists), resolved through the mirror
    pub id: String,
    /// Sync the mirror first (to resolve a short id)
    #[arg(long)]
    pub sync: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this model (repeat for any of several)
    #[arg(long = "model", value_name = "M")]
    pub models: Vec<String>,
    /// Only customizations with this tag (repeat for any of several)
    #[arg(long = "tag", value_name = "T")]
    pub tags: Vec<String>,
    /// Only this target type (repeat for any of several)
    #[arg(long = "target-type", value_name = "T", value_parser = TARGET_TYPES)]
    pub target_types: Vec<String>,
    /// Only this target identity (repeat for any of several)
    #[arg(long = "target-identity", value_name = "I")]
    pub target_identities: Vec<String>,
    /// FIELD:asc|desc, FIELD one of created_at, model, target_type [server default:
    /// created_at:desc]
    #[arg(long, value_name = "S", value_parser = parse_sort)]
    pub sort: Option<String>,
    /// Rows in the page, 1 to 1000 [server default: 10]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_PAGE)), conflicts_with = "all")]
    pub limit: Option<u32>,
    /// Rows to skip
    #[arg(long, value_name = "N")]
    pub offset: Option<u64>,
    /// Every page, not just one
    #[arg(long)]
    pub all: bool,
    /// Only customizations whose target_criteria hold every key of this JSON object with
    /// an equal value (repeat for any of several), e.g. '{"brand": "Acme"}'
    #[arg(long = "criteria", value_name = "JSON", value_parser = parse_criteria)]
    pub criteria: Vec<serde_json::Map<String, serde_json::Value>>,
}

fn parse_criteria(s: &str) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    match serde_json::from_str(s) {
        Ok(serde_json::Value::Object(m)) => Ok(m),
        Ok(_) => Err("must be a JSON object".into()),
        Err(e) => Err(format!("not JSON: {e}")),
    }
}

fn parse_sort(s: &str) -> Result<String, String> {
    let (field, dir) = s
        .split_once(':')
        .ok_or_else(|| "expected FIELD:asc or FIELD:desc".to_string())?;
    if !["created_at", "model", "target_type"].contains(&field) {
        return Err(format!(
            "unknown field {field:?}: use created_at, model or target_type"
        ));
    }
    if !["asc", "desc"].contains(&dir) {
        return Err(format!("unknown direction {dir:?}: use asc or desc"));
    }
    Ok(s.to_string())
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// A JSON file holding one customization; `-` or nothing reads stdin
    #[arg(value_name = "FILE|-", default_value = "-")]
    pub file: String,
    /// Create it even when a customization with the same target (model, target type and
    /// identity or criteria) is already stored
    #[arg(long)]
    pub allow_duplicate_target: bool,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The customization's id: the UUID, or a unique prefix of it, resolved through the
    /// mirror
    pub id: String,
    /// A JSON file holding the whole new definition; `-` or nothing reads stdin
    #[arg(value_name = "FILE|-", default_value = "-")]
    pub file: String,
    /// Print the field-level difference from the server's current version first (on a
    /// terminal, then ask before replacing)
    #[arg(long)]
    pub diff: bool,
    /// Do not ask for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Sync the mirror first (to resolve a short id)
    #[arg(long)]
    pub sync: bool,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The customization's id: the UUID, or a unique prefix of it, resolved through the
    /// mirror
    pub id: String,
    /// Do not ask for confirmation (required when stdin is not a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Sync the mirror first (to resolve a short id)
    #[arg(long)]
    pub sync: bool,
}

/// The export filters `export` and `copy` share; each repeats for any of several values,
/// as `list`'s do.
#[derive(Debug, Clone, Args)]
pub struct ExportFilterArgs {
    /// Only this model (repeat for any of several)
    #[arg(long = "model", value_name = "M")]
    pub models: Vec<String>,
    /// Only customizations with this tag (repeat for any of several)
    #[arg(long = "tag", value_name = "T")]
    pub tags: Vec<String>,
    /// Only this target type (repeat for any of several)
    #[arg(long = "target-type", value_name = "T", value_parser = TARGET_TYPES)]
    pub target_types: Vec<String>,
    /// Only this target identity (repeat for any of several)
    #[arg(long = "target-identity", value_name = "I")]
    pub target_identities: Vec<String>,
    /// Leave out pins whose window has ended
    #[arg(long)]
    pub remove_expired_pins: bool,
}

impl ExportFilterArgs {
    /// The export requests that together select what these filters select: the endpoint
    /// takes one value per filter, so one request per combination of values.
    pub fn queries(&self) -> Vec<ExportQuery> {
        fn or_any(v: &[String]) -> Vec<Option<String>> {
            if v.is_empty() {
                vec![None]
            } else {
                v.iter().cloned().map(Some).collect()
            }
        }
        let mut out = Vec::new();
        for model in or_any(&self.models) {
            for tag in or_any(&self.tags) {
                for target_type in or_any(&self.target_types) {
                    for target_identity in or_any(&self.target_identities) {
                        out.push(ExportQuery {
                            model: model.clone(),
                            tag: tag.clone(),
                            target_type: target_type.clone(),
                            target_identity,
                            remove_expired_pins: self.remove_expired_pins,
                            remove_nonexisting_item_pins: false,
                        });
                    }
                }
            }
        }
        out
    }
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub filter: ExportFilterArgs,
    /// Leave out pins of items that no longer exist in the catalog
    #[arg(long)]
    pub remove_nonexisting_item_pins: bool,
    /// Write to FILE (whole or not at all) instead of stdout
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell
    pub shell: clap_complete::Shell,
}

/// `pinscope get ID`.
pub fn get(g: &GlobalArgs, a: GetArgs) -> Outcome {
    let target = Target::open(g)?;
    let conn = target.connect()?;
    let id = resolve_id(&target, &conn, &a.id, a.sync)?;
    let scope = Scope::of_client(&conn.client);
    match block_on(conn.client.get(&id))? {
        Ok(c) => {
            // The service is the truth: the mirror's row follows it.
            record_write(&scope, |m| m.upsert(&c));
            print_object(&c)
        }
        Err(e) => {
            if e.status() == Some(404) {
                record_write(&scope, |m| m.remove(&id).map(|_| ()));
            }
            Err(Failure::api(&e))
        }
    }
}

/// `pinscope list`: one page, or every page with `--all`, as NDJSON written as it comes.
pub fn list(g: &GlobalArgs, a: ListArgs) -> Outcome {
    let conn = Target::open(g)?.connect()?;
    let q = ListQuery {
        models: a.models,
        tags: a.tags,
        target_types: a.target_types,
        target_identities: a.target_identities,
        sort: a.sort,
        limit: a.limit,
        offset: a.offset,
        criteria: a.criteria,
    };
    let mut out = Ndjson::stdout();
    if !a.all {
        let page = block_on(conn.client.list(&q))?.map_err(|e| Failure::api(&e))?;
        for c in &page.results {
            out.write(c)?;
        }
        let shown = out.finish()?;
        let from = q.offset.unwrap_or(0);
        // Rows left out are said on stderr even when stdout is a file: `list > all.ndjson`
        // must not look complete when it is not.
        if from.saturating_add(shown) < page.total {
            let at = if from > 0 {
                format!(" from offset {from}")
            } else {
                String::new()
            };
            note(&format!(
                "{shown} of {} shown{at}; --all for every one",
                page.total
            ));
        } else if std::io::stderr().is_terminal() {
            note(&format!("{shown} of {} (from offset {from})", page.total));
        }
        return Ok(());
    }
    // Every page, each row once even if rows move between pages; a server whose pages
    // contradict themselves stops the walk.
    let mut paging = Paging::new(&ListQuery {
        limit: Some(MAX_PAGE),
        ..q.clone()
    });
    block_on(async {
        while let Some(next) = paging.next_query() {
            let offset = paging.offset();
            let page = match conn.client.list(&next).await {
                Ok(page) => paging.take(page).map_err(|m| conn.client.paging_error(m)),
                Err(e) => Err(e),
            };
            let rows = page.map_err(|e| {
                let mut f = Failure::api(&e);
                if out.count() > 0 {
                    f.code = exit::PARTIAL;
                    f.message.push_str(&format!(
                        "\n  partly done: {} customizations were written before the error; \
                         `--all --offset {offset}` continues from there",
                        out.count()
                    ));
                }
                f
            })?;
            for c in &rows {
                out.write(c)?;
            }
        }
        Ok::<(), Failure>(())
    })??;
    let shown = out.finish()?;
    if std::io::stderr().is_terminal() {
        note(&format!("{shown} customizations"));
    }
    Ok(())
}

/// Says that a create that failed this way may still have happened.
fn maybe_applied(e: &ApiError, what: &str) -> Failure {
    let mut f = Failure::api(e);
    if e.may_have_been_applied() {
        f.message.push_str(&format!(
            "\n  the {what} may have been applied although no answer came; check before \
             trying again"
        ));
    }
    f
}

/// `pinscope create [FILE|-]`.
pub fn create(g: &GlobalArgs, a: CreateArgs) -> Outcome {
    let target = Target::open(g)?;
    target.refuse_writes("create")?;
    let c = body::read_one(&a.file)?;
    let conn = target.connect()?;
    if !a.allow_duplicate_target {
        super::health::refuse_duplicate_target(&conn, &c)?;
    }
    let created = block_on(conn.client.create(&c))?.map_err(|e| maybe_applied(&e, "create"))?;
    tracing::info!(id = created.id().unwrap_or("?"), "created");
    record_write(&Scope::of_client(&conn.client), |m| m.upsert(&created));
    if let Some(id) = created.id() {
        target.record_write(OpKind::Create, id, None, Some(&created));
    }
    print_object(&created)
}

/// Asks a yes/no question on stderr; reads the answer from stdin.
fn confirm(question: &str) -> Result<bool, Failure> {
    let answer = ask(&format!("{question} [y/N] "))?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

fn ask(prompt: &str) -> Result<String, Failure> {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{prompt}");
    let _ = err.flush();
    drop(err);
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::usage(format!("cannot read the answer: {e}")))?;
    Ok(line)
}

/// The first 8 characters of an id, which a production profile wants typed.
fn id_prefix(id: &str) -> String {
    id.chars().take(8).collect()
}

/// On a production profile: the user types the id's first characters.
fn confirm_production(id: &str, action: &str, profile: &str) -> Result<bool, Failure> {
    let prefix = id_prefix(id);
    let answer = ask(&format!(
        "profile {profile:?} is production: type the first {} characters of the id to {action} it: ",
        prefix.chars().count()
    ))?;
    Ok(answer.trim() == prefix)
}

/// `pinscope update ID [FILE|-] [--diff]`.
pub fn update(g: &GlobalArgs, a: UpdateArgs) -> Outcome {
    let target = Target::open(g)?;
    target.refuse_writes("update")?;
    let c = body::read_one(&a.file)?;
    let mut conn = target.connect()?;
    let id = resolve_id(&target, &conn, &a.id, a.sync)?;
    if let Some(file_id) = c.id()
        && file_id != id
    {
        return Err(Failure::usage(format!(
            "{} has id {file_id} but the command names {id}; refusing to replace one with the other",
            body::source_name(&a.file),
        )));
    }
    let production = conn.session.production;
    let ask_first = !a.yes && interactive() && (a.diff || production);
    // The version replaced: compared with the file (nothing is sent when nothing
    // differs), shown with --diff, and kept in the history for undo.
    let current = block_on(conn.client.get(&id))?.map_err(|e| Failure::api(&e))?;
    let changes = update_changes(&current, &c);
    if a.diff {
        print_lines(changes.iter().map(ToString::to_string))?;
    }
    if changes.is_empty() {
        note(&format!(
            "no field differs from the service's version: nothing was sent ({id} is unchanged)"
        ));
        return Ok(());
    }
    if ask_first {
        let ok = if production {
            confirm_production(&id, "replace", &conn.session.profile_name)?
        } else {
            confirm(&format!("replace {id}?"))?
        };
        if !ok {
            note("not replaced");
            return Err(Failure::quiet(exit::DECLINED));
        }
        conn.restart_clock(target.time_limit());
    }
    block_on(conn.client.update(&id, &c))?.map_err(|e| Failure::api(&e))?;
    tracing::info!(id = %id, "updated");
    let mut after = c.clone();
    for k in ["id", "created_at", "creator"] {
        if let Some(v) = current.get(k) {
            after.set(k, v.clone());
        }
    }
    target.record_write(OpKind::Update, &id, Some(&current), Some(&after));
    // The answer has no body: the row is refreshed from the service (server-set fields
    // such as `available` change with the pins).
    if has_mirror() {
        let scope = Scope::of_client(&conn.client);
        match block_on(conn.client.get(&id))? {
            Ok(fresh) => record_write(&scope, |m| m.upsert(&fresh)),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read back the update");
                record_write(&scope, |m| m.mark_stale());
            }
        }
    }
    note(&format!("updated {id}"));
    Ok(())
}

/// What replacing `current` with `new` changes, leaving out the fields the service sets
/// (`id`, `created_at`, `creator`, `available`): a file without them changes nothing there.
fn update_changes(current: &Customization, new: &Customization) -> Vec<crate::diff::Change> {
    let strip = |c: &Customization| {
        let mut m = c.0.clone();
        for f in crate::api::model::SERVER_FIELDS {
            m.remove(f);
        }
        serde_json::Value::Object(m)
    };
    crate::diff::diff(&strip(current), &strip(new))
}

/// `pinscope delete ID [--yes]`.
pub fn delete(g: &GlobalArgs, a: DeleteArgs) -> Outcome {
    let target = Target::open(g)?;
    target.refuse_writes("delete")?;
    if !a.yes && !interactive() {
        return Err(Failure::usage(format!(
            "refusing to delete {} without confirmation: not a terminal; pass --yes",
            a.id
        )));
    }
    let mut conn = target.connect()?;
    let id = resolve_id(&target, &conn, &a.id, a.sync)?;
    // The version deleted, kept in the history so that undo can create it again.
    let current = match block_on(conn.client.get(&id))? {
        Ok(c) => c,
        Err(e) => {
            if e.status() == Some(404) {
                record_write(&Scope::of_client(&conn.client), |m| {
                    m.remove(&id).map(|_| ())
                });
            }
            return Err(Failure::api(&e));
        }
    };
    if !a.yes {
        let current = block_on(conn.client.get(&id))?.map_err(|e| Failure::api(&e))?;
        let shown_target = match current.target_type() {
            Some(crate::api::TargetType::All) | None => current.target_label(),
            Some(t) => format!("{t} {}", current.target_label()),
        };
        let pins = current.pin_count();
        note(&format!(
            "{}: model {}, target {shown_target}, {pins} pin{}; profile {} ({})",
            id,
            current.model().unwrap_or("?"),
            if pins == 1 { "" } else { "s" },
            conn.session.label,
            conn.session.client.host
        ));
        let ok = if conn.session.production {
            confirm_production(&id, "delete", &conn.session.profile_name)?
        } else {
            confirm(&format!("delete {}?", id))?
        };
        if !ok {
            note("not deleted");
            return Err(Failure::quiet(exit::DECLINED));
        }
        conn.restart_clock(target.time_limit());
    }
    let scope = Scope::of_client(&conn.client);
    match block_on(conn.client.delete(&id))? {
        Ok(()) => {
            record_write(&scope, |m| m.remove(&id).map(|_| ()));
            target.record_write(OpKind::Delete, &id, Some(&current), None);
        }
        Err(e) => {
            if e.status() == Some(404) {
                record_write(&scope, |m| m.remove(&id).map(|_| ()));
            }
            return Err(Failure::api(&e));
        }
    }
    tracing::info!(id = %id, "deleted");
    note(&format!("deleted {}", id));
    Ok(())
}

/// `pinscope summary`.
pub fn summary(g: &GlobalArgs) -> Outcome {
    let conn = Target::open(g)?.connect()?;
    let s = block_on(conn.client.summary())?.map_err(|e| Failure::api(&e))?;
    print_object(&s)
}

/// Why a streamed export stopped.
enum ExportFailure {
    Api(ApiError),
    Write(Failure),
}

impl From<ApiError> for ExportFailure {
    fn from(e: ApiError) -> Self {
        ExportFailure::Api(e)
    }
}

/// `pinscope export`: NDJSON to stdout or, atomically, to a file.
pub fn export(g: &GlobalArgs, a: ExportArgs) -> Outcome {
    let conn = Target::open(g)?.connect()?;
    let mut out = match &a.output {
        Some(p) => Ndjson::file(p)?,
        None => Ndjson::stdout(),
    };
    // Rows are written as they arrive: memory stays at one row however large the export.
    // A file appears only whole (a failure leaves none); stdout may have had some rows.
    // The endpoint takes one value per filter: one request per combination, each
    // customization written once.
    let mut seen: HashSet<String> = HashSet::new();
    block_on(async {
        for q in a.filter.queries() {
            let q = ExportQuery {
                remove_nonexisting_item_pins: a.remove_nonexisting_item_pins,
                ..q
            };
            let mut rows = conn.bulk_client().export_rows(&q).await?;
            while let Some(c) = rows.next().await? {
                if let Some(id) = c.id()
                    && !seen.insert(id.to_string())
                {
                    continue;
                }
                out.write(&c).map_err(ExportFailure::Write)?;
            }
        }
        Ok::<(), ExportFailure>(())
    })?
    .map_err(|e| match e {
        ExportFailure::Api(e) => Failure::api(&e),
        ExportFailure::Write(f) => f,
    })?;
    let n = out.finish()?;
    match &a.output {
        Some(p) => note(&format!("exported {n} customizations to {}", p.display())),
        None if std::io::stderr().is_terminal() => note(&format!("exported {n} customizations")),
        None => {}
    }
    Ok(())
}

/// `pinscope completions SHELL`.
pub fn completions(a: CompletionsArgs) -> Outcome {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "pinscope", &mut out);
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(&out)
        .and_then(|()| stdout.flush())
        .map_err(|e| Failure::new(exit::API, format!("cannot write to stdout: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_values() {
        assert!(parse_sort("created_at:desc").is_ok());
        assert!(parse_sort("model:asc").is_ok());
        assert!(parse_sort("model").is_err());
        assert!(parse_sort("title:asc").is_err());
        assert!(parse_sort("model:up").is_err());
    }

    #[test]
    fn criteria_values() {
        assert_eq!(
            parse_criteria(r#"{"brand": "Acme"}"#).expect("object")["brand"],
            "Acme"
        );
        assert!(parse_criteria("[1]").is_err());
        assert!(parse_criteria("{").is_err());
    }

    #[test]
    fn id_prefixes() {
        assert_eq!(id_prefix("0f8fad5b-d9cb-469f"), "0f8fad5b");
        assert_eq!(id_prefix("abc"), "abc");
    }
}
