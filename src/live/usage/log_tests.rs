use super::*;

fn scan(text: &[u8]) -> (FileSummary, Vec<Login>) {
    let zones = Zones(HashMap::from([("CET".to_string(), 3600)]));
    let mut logins = Vec::new();
    let summary = read(Path::new("test.log"), text, &zones, &mut |l| logins.push(l)).unwrap();
    (summary, logins)
}

fn at(text: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(text).unwrap().timestamp()
}

const CSV: &str = r#"2026-12-05 11:53:16.994 UTC,"postgres","postgres",15436,"[local]",6b13fb2c.3c4c,2,"authentication",2026-12-05 11:53:16 UTC,3/1,0,LOG,00000,"connection authorized: user=postgres database=postgres application_name=psql",,,,,,,,,"","client backend",,0
2026-12-05 11:53:17.035 UTC,,,15438,"[local]",6b13fb2d.3c4e,1,"",2026-12-05 11:53:17 UTC,,0,LOG,00000,"connection received: host=[local]",,,,,,,,,"","not initialized",,0
2026-12-05 11:53:17.036 UTC,"we ird"" database=x
2026-12-05 11:59:00.000 UTC,""evil"", ""postgres""
LOG:  evil","postgres",15438,"[local]",6b13fb2d.3c4e,2,"authentication",2026-12-05 11:53:17 UTC,3/4,0,LOG,00000,"connection authorized: user=we ird"" database=x
LOG:  evil database=postgres application_name=psql",,,,,,,,,"","client backend",,0
garbage,with,too,few,fields
2026-12-05 12:00:00.000 CET,"alice","app",1,"[local]",a.b,2,"authentication",2026-12-05 12:00:00 CET,3/1,0,LOG,00000,"replication connection authorized: user=alice application_name=walreceiver SSL enabled (protocol=TLSv1.3, cipher=TLS_AES_256_GCM_SHA384, bits=256)",,,,,,,,,"","walsender",,0
"#;

#[test]
fn csvlog_logins_take_the_role_from_its_field_across_quoted_line_breaks() {
    let (summary, logins) = scan(CSV.as_bytes());
    assert_eq!(summary.form, LogForm::Csvlog);
    let roles: Vec<_> = logins.iter().map(|l| (l.role.as_str(), l.at)).collect();
    assert_eq!(
        roles,
        [
            ("postgres", at("2026-12-05T11:53:16Z")),
            (
                "we ird\" database=x\n2026-12-05 11:59:00.000 UTC,\"evil\", \"postgres\"\nLOG:  evil",
                at("2026-12-05T11:53:17Z")
            ),
            ("alice", at("2026-12-05T11:00:00Z")),
        ]
    );
    assert_eq!((summary.records, summary.logins, summary.skipped), (4, 3, 1));
    // The record with too few fields starts on line 7 (the hostile one spans lines 3 to 6).
    assert_eq!(summary.first_skipped.as_ref().map(|s| s.line), Some(7));
    assert_eq!(summary.first, Some(at("2026-12-05T11:00:00Z")));
    assert_eq!(summary.last, Some(at("2026-12-05T11:53:17Z")));
}

const JSON: &str = r#"{"timestamp":"2026-12-05 11:53:16.994 UTC","user":"postgres","dbname":"postgres","pid":15436,"error_severity":"LOG","message":"connection authorized: user=postgres database=postgres application_name=psql","backend_type":"client backend"}
{"timestamp":"2026-12-05 11:53:17.036 UTC","user":"we ird\" database=x\nLOG:  evil\u001b[2J","dbname":"postgres","error_severity":"LOG","message":"connection authorized: user=we ird\" database=x\nLOG:  evil database=postgres"}
{"timestamp":"2026-12-05 11:54:00.000 UTC","user":"bob","error_severity":"FATAL","message":"connection authorized: user=bob database=postgres"}
{"timestamp":"2026-12-05 11:55:00.000 XYZT","user":"carol","error_severity":"LOG","message":"connection authorized: user=carol database=postgres"}
not json at all
{"user":"dave","error_severity":"LOG","message":"connection authorized: user=dave database=postgres"}

{"timestamp":"2026-12-05 11:56:00.000 +0530","user":"erin","error_severity":"LOG","message":"connection authorized: user=erin database=postgres"}
"#;

#[test]
fn jsonlog_logins_skip_what_does_not_read() {
    let (summary, logins) = scan(JSON.as_bytes());
    assert_eq!(summary.form, LogForm::Jsonlog);
    let roles: Vec<_> = logins.iter().map(|l| (l.role.as_str(), l.at)).collect();
    assert_eq!(
        roles,
        [
            ("postgres", at("2026-12-05T11:53:16Z")),
            ("we ird\" database=x\nLOG:  evil\u{1b}[2J", at("2026-12-05T11:53:17Z")),
            ("erin", at("2026-12-05T06:26:00Z")),
        ]
    );
    // bob's record is FATAL (not a login); carol's zone is unknown, line 5 is not JSON, dave's has no time.
    assert_eq!((summary.records, summary.logins, summary.skipped), (4, 3, 3));
    let first = summary.first_skipped.unwrap();
    assert_eq!((first.line, first.reason.as_str()), (4, "unknown time zone abbreviation \"XYZT\""));
}

const STDERR: &str = "2026-12-05 11:53:16.994 UTC [15436] LOG:  connection authorized: user=postgres database=postgres application_name=psql
2026-12-05 11:53:17.035 UTC [15438] LOG:  connection received: host=[local]
2026-12-05 11:53:17.036 UTC [15438] LOG:  connection authorized: user=we ird\" database=x
\tLOG:  evil database=postgres application_name=psql
2026-12-05 11:53:18.000 UTC [15439] LOG:  connection authorized: user=has space database=app SSL enabled (protocol=TLSv1.3, cipher=x, bits=256)
2026-12-05 11:53:19.000 UTC [15440] LOG:  replication connection authorized: user=rep
a line from somewhere else
2026-12-05 11:53:20.000 UTC [15441] ERROR:  relation \"t\" does not exist
\tSTATEMENT:  select * from t
";

#[test]
fn stderr_logins_read_the_role_from_the_message_only_when_certain() {
    let (summary, logins) = scan(STDERR.as_bytes());
    assert_eq!(summary.form, LogForm::Stderr);
    let roles: Vec<_> = logins.iter().map(|l| l.role.as_str()).collect();
    assert_eq!(roles, ["postgres", "has space", "rep"]);
    // The hostile name (" database=" twice, a line break) and the foreign line are skipped.
    assert_eq!((summary.records, summary.logins, summary.skipped), (6, 3, 2));
    assert_eq!(summary.first_skipped.map(|s| s.line), Some(3));
}

#[test]
fn gzip_is_read_through() {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(CSV.as_bytes()).unwrap();
    let (summary, logins) = scan(&gz.finish().unwrap());
    assert!(summary.gzip);
    assert_eq!((summary.form, logins.len()), (LogForm::Csvlog, 3));
}

#[test]
fn a_broken_gzip_stream_is_an_error_with_its_file() {
    let zones = Zones::default();
    let err = read(Path::new("x.csv.gz"), &[0x1f, 0x8b, 8, 0, 1, 2, 3][..], &zones, &mut |_| {}).unwrap_err();
    assert!(err.to_string().starts_with("x.csv.gz"), "{err}");
}

#[test]
fn an_overlong_line_is_skipped_without_being_kept() {
    let mut text = vec![b'{'; MAX_LINE + 10];
    text.extend_from_slice(b"\n");
    text.extend_from_slice(JSON.lines().next().unwrap().as_bytes());
    let (summary, logins) = scan(&text);
    assert_eq!((summary.skipped, logins.len()), (1, 1));
}

#[test]
fn zones() {
    let z = Zones::default();
    assert_eq!(z.offset("UTC"), Some(0));
    assert_eq!(z.offset("+04"), Some(4 * 3600));
    assert_eq!(z.offset("-0330"), Some(-(3 * 3600 + 30 * 60)));
    assert_eq!(z.offset("+5"), None);
    assert_eq!(z.offset("CEST"), None);
}

#[test]
fn a_fifo_is_refused_without_waiting() {
    let dir = std::env::temp_dir().join(format!("rolec-usage-fifo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("log");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success());
    if made {
        let err = read_file(&fifo, &Zones::default(), &mut |_| {}).unwrap_err();
        assert!(err.to_string().ends_with("not a regular file"), "{err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
