use super::*;
use std::path::Path;

#[test]
fn numbers_for_people() {
    assert_eq!(thousands(0), "0");
    assert_eq!(thousands(999), "999");
    assert_eq!(thousands(1000), "1,000");
    assert_eq!(thousands(1234567), "1,234,567");
    assert_eq!(bytes(512), "512 B");
    assert_eq!(bytes(12_345_678), "12.3 MB");
    assert_eq!(duration(std::time::Duration::from_millis(1500)), "1.5s");
    assert_eq!(duration(std::time::Duration::from_secs(185)), "3m 05s");
    assert_eq!(duration(std::time::Duration::from_secs(3720)), "1h 02m");
}

#[test]
fn report_goes_to_the_data_dir_or_beside_the_input() {
    let now: Timestamp = "2025-06-15T10:00:00Z".parse().expect("ts");
    let tz = TimeZone::UTC;
    let mut s = ImportScreen::new(Some(PathBuf::from("/data")));
    s.input = PathBuf::from("/in/catalog.ndjson");
    assert_eq!(
        s.report_path(now, &tz),
        Path::new("/data/imports/catalog-20250615-100000.report.ndjson")
    );
    s.data_dir = None;
    assert_eq!(
        s.report_path(now, &tz),
        Path::new("/in/catalog-20250615-100000.report.ndjson")
    );
}

#[test]
fn a_new_import_never_takes_an_existing_report_name() {
    let now: Timestamp = "2025-06-15T10:00:00Z".parse().expect("ts");
    let tz = TimeZone::UTC;
    let dir = tempfile::tempdir().expect("tempdir");
    let imports = dir.path().join("imports");
    std::fs::create_dir_all(&imports).expect("mkdir");
    let mut s = ImportScreen::new(Some(dir.path().to_path_buf()));
    s.input = PathBuf::from("/in/catalog.ndjson");
    let first = imports.join("catalog-20250615-100000.report.ndjson");
    std::fs::write(&first, "{}\n").expect("write");
    let second = imports.join("catalog-20250615-100000-2.report.ndjson");
    assert_eq!(s.report_path(now, &tz), second);
    // A journal alone (a run cut before its report) also holds the name.
    std::fs::write(
        imports.join("catalog-20250615-100000-2.report.ndjson.journal"),
        "",
    )
    .expect("write");
    assert_eq!(
        s.report_path(now, &tz),
        imports.join("catalog-20250615-100000-3.report.ndjson")
    );
}
