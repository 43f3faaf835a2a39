//! `pinscope_rank`, the full-text search's ranking function: an FTS5 auxiliary function
//! registered on every connection the mirror opens.
//!
//! Why not FTS5's own `bm25`: bm25 weighs each phrase by how rare it is in the whole index,
//! and it finds that out by running every phrase of the query a second time over the whole
//! index, on the first row it ranks. For a query that matches a large part of a tracker
//! (`w-home` matches every customization with a pin in the `w-home-top` widget) that second
//! pass costs as much as the search itself, and it reads every match's column sizes from
//! the `docsize` table as well: 13 ms of a keystroke's 14 on 100,000 customizations.
//! `pinscope_rank` reads only the current row's hits, which FTS5 has already decoded:
//! every query word must match anyway (the words are ANDed), so what tells rows apart is
//! where each word matched and how often, not how rare it is.
//!
//! The score: for each word and each column it matched in, the column's weight times
//! `1 + ln(hits)` (a second hit in a column counts for less than the first). Higher is
//! better. The weights are the function's arguments, one per column:
//! `pinscope_rank(customizations_fts, 8.0, 6.0, 2.0, 3.0, 4.0)`.
//!
//! rusqlite has no binding for FTS5's extension API, and no maintained crate has one, so
//! this file talks to SQLite's C interface directly. It is the only `unsafe` in pinscope;
//! every pointer it follows comes from SQLite for the duration of one call.

use std::ffi::{c_int, c_void};
use std::ptr;

use rusqlite::Connection;
use rusqlite::ffi;

/// The function's name in SQL.
pub const NAME: &str = "pinscope_rank";

/// Registers [`NAME`] on `conn`. Fails only when the SQLite build has no FTS5, which the
/// bundled one always has.
pub fn register(conn: &Connection) -> Result<(), String> {
    // SAFETY: the handle is `conn`'s open database, used on this thread only while `conn`
    // is borrowed. `fts5(?1)` with a pointer bound under the type "fts5_api_ptr" is
    // SQLite's documented way to reach the FTS5 API of a connection; the API object lives
    // as long as the connection. The statement is finalized on every path.
    unsafe {
        let db = conn.handle();
        let mut stmt: *mut ffi::sqlite3_stmt = ptr::null_mut();
        let rc = ffi::sqlite3_prepare_v2(
            db,
            c"SELECT fts5(?1)".as_ptr(),
            -1,
            &mut stmt,
            ptr::null_mut(),
        );
        if rc != ffi::SQLITE_OK || stmt.is_null() {
            return Err("this SQLite has no FTS5".into());
        }
        let mut api: *mut ffi::fts5_api = ptr::null_mut();
        ffi::sqlite3_bind_pointer(
            stmt,
            1,
            (&mut api as *mut *mut ffi::fts5_api).cast::<c_void>(),
            c"fts5_api_ptr".as_ptr(),
            None,
        );
        ffi::sqlite3_step(stmt);
        ffi::sqlite3_finalize(stmt);
        if api.is_null() || (*api).iVersion < 2 {
            return Err("this SQLite's FTS5 is too old".into());
        }
        let Some(create) = (*api).xCreateFunction else {
            return Err("this SQLite's FTS5 cannot take functions".into());
        };
        let rc = create(
            api,
            c"pinscope_rank".as_ptr(),
            ptr::null_mut(),
            Some(rank),
            None,
        );
        if rc != ffi::SQLITE_OK {
            return Err(format!("registering {NAME} failed (SQLite code {rc})"));
        }
    }
    Ok(())
}

/// The most columns and query words the score keeps apart; hits beyond them still count,
/// folded into the last slot.
const MAX_COLUMNS: usize = 8;
const MAX_PHRASES: usize = 16;

/// FTS5 calls this once for each row it ranks.
unsafe extern "C" fn rank(
    api: *const ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    ctx: *mut ffi::sqlite3_context,
    argc: c_int,
    argv: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: FTS5 passes a valid API table and context for this row, and `argc` values
    // in `argv`, for the length of this call.
    unsafe {
        let mut weights = [1.0f64; MAX_COLUMNS];
        if !argv.is_null() {
            for (i, w) in weights
                .iter_mut()
                .enumerate()
                .take(usize::try_from(argc).unwrap_or(0))
            {
                *w = ffi::sqlite3_value_double(*argv.add(i));
            }
        }
        let (Some(inst_count), Some(inst)) = ((*api).xInstCount, (*api).xInst) else {
            ffi::sqlite3_result_double(ctx, 0.0);
            return;
        };
        let mut n: c_int = 0;
        if inst_count(fts, &mut n) != ffi::SQLITE_OK {
            ffi::sqlite3_result_error_code(ctx, ffi::SQLITE_ERROR);
            return;
        }
        let mut hits = [[0u32; MAX_COLUMNS]; MAX_PHRASES];
        for i in 0..n {
            let (mut phrase, mut col, mut off) = (0, 0, 0);
            if inst(fts, i, &mut phrase, &mut col, &mut off) != ffi::SQLITE_OK {
                ffi::sqlite3_result_error_code(ctx, ffi::SQLITE_ERROR);
                return;
            }
            let p = usize::try_from(phrase).unwrap_or(0).min(MAX_PHRASES - 1);
            let c = usize::try_from(col).unwrap_or(0).min(MAX_COLUMNS - 1);
            hits[p][c] = hits[p][c].saturating_add(1);
        }
        ffi::sqlite3_result_double(ctx, score(&hits, &weights));
    }
}

/// The score of one row from its hits per word and column.
fn score(hits: &[[u32; MAX_COLUMNS]; MAX_PHRASES], weights: &[f64; MAX_COLUMNS]) -> f64 {
    hits.iter()
        .flat_map(|cols| cols.iter().zip(weights))
        .filter(|(n, _)| **n > 0)
        .map(|(n, w)| w * (1.0 + f64::from(*n).ln()))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_heavier_column_and_more_words_rank_higher() {
        let w = [8.0, 6.0, 2.0, 3.0, 4.0, 1.0, 1.0, 1.0];
        let mut title = [[0u32; MAX_COLUMNS]; MAX_PHRASES];
        title[0][1] = 1;
        let mut pins = [[0u32; MAX_COLUMNS]; MAX_PHRASES];
        pins[0][3] = 1;
        assert!(score(&title, &w) > score(&pins, &w));
        let mut twice = pins;
        twice[0][3] = 2;
        assert!(score(&twice, &w) > score(&pins, &w));
        assert!(score(&twice, &w) < 2.0 * score(&pins, &w));
        assert_eq!(score(&[[0; MAX_COLUMNS]; MAX_PHRASES], &w), 0.0);
    }

    #[test]
    fn ranks_rows_in_sql() {
        let conn = Connection::open_in_memory().expect("open");
        register(&conn).expect("register");
        conn.execute_batch(
            "CREATE VIRTUAL TABLE t USING fts5(a, b, content = '', contentless_delete = 1);
             INSERT INTO t (rowid, a, b) VALUES (1, 'x', 'fender'), (2, 'fender', 'x'),
                 (3, 'y', 'fender fender');",
        )
        .expect("fill");
        let order: Vec<i64> = conn
            .prepare(
                "SELECT rowid FROM t WHERE t MATCH 'fender' \
                 ORDER BY pinscope_rank(t, 5.0, 1.0) DESC, rowid",
            )
            .and_then(|mut s| {
                s.query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<Vec<i64>>>()
            })
            .expect("query");
        assert_eq!(order, vec![2, 3, 1]);
    }
}
