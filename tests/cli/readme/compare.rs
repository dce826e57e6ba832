//! Whether what a command printed is what the README shows: both sides with their volatile parts
//! (the root, UTC times, hashes, milliseconds) put in a fixed form, a line `…` standing for any
//! number of lines; and, when not, a report naming the README line where they part.

/// The line that stands for any number of lines (none included).
const ELISION: &str = "…";

/// `text` with each `(from, to)` of `names` replaced (the test's root by the README's, …), and
/// times (a backup name's `_2` after a time taken as part of it: whether two backups share a
/// second is chance), hashes, milliseconds and process ids in a fixed form, so a run and the README
/// compare equal where they differ only by those.
pub fn normalise(text: &str, names: &[(String, String)]) -> String {
    let mut text = text.to_string();
    for (from, to) in names {
        text = text.replace(from, to);
    }
    let text = replace_shapes(
        &text,
        "dddd-dd-ddTdd:dd:dd.dddZ",
        "YYYY-MM-DDThh:mm:ss.sssZ",
    );
    let text = replace_shapes(&text, "dddd-dd-ddTdd:dd:ddZ", "YYYY-MM-DDThh:mm:ssZ");
    let text = replace_shapes(&text, "ddddddddTddddddZ_D", "YYYYMMDDThhmmssZ");
    let text = replace_shapes(&text, "ddddddddTddddddZ", "YYYYMMDDThhmmssZ");
    let text = replace_hex_after(&text, "xxh3-128:", 32);
    let text = replace_shapes(&text, "(process D)", "(process N)");
    replace_shapes(&text, " D ms", " N ms")
}

/// `text` with every run that has `shape` replaced by `by`: in a shape, `d` is a digit, `D` one or
/// more, anything else itself.
fn replace_shapes(text: &str, shape: &str, by: &str) -> String {
    let shape: Vec<char> = shape.chars().collect();
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        match shape_at(&chars, i, &shape) {
            Some(end) => {
                out.push_str(by);
                i = end;
            }
            None => {
                out.push(chars[i]);
                i += 1;
            }
        }
    }
    out
}

/// Where the run of `shape` starting at `chars[i]` ends, if one does. A run of digits is taken
/// whole: one at either end of the shape must not have another digit beside it.
fn shape_at(chars: &[char], i: usize, shape: &[char]) -> Option<usize> {
    let is_digit = |at: usize| chars.get(at).is_some_and(char::is_ascii_digit);
    if shape[0].eq_ignore_ascii_case(&'d') && i > 0 && is_digit(i - 1) {
        return None;
    }
    let mut at = i;
    for &wanted in shape {
        match wanted {
            'd' => is_digit(at).then_some(())?,
            'D' => {
                is_digit(at).then_some(())?;
                while is_digit(at + 1) {
                    at += 1;
                }
            }
            _ => (chars.get(at) == Some(&wanted)).then_some(())?,
        }
        at += 1;
    }
    let ends_in_digits = shape.last().is_some_and(|c| c.eq_ignore_ascii_case(&'d'));
    (!(ends_in_digits && is_digit(at))).then_some(at)
}

/// `text` with the `len` hex digits after each `label` replaced by `<hash>`.
fn replace_hex_after(text: &str, label: &str, len: usize) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(label) {
        let (before, after) = rest.split_at(at + label.len());
        out.push_str(before);
        let hex = after
            .get(..len)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
        rest = match hex {
            Some(_) => {
                out.push_str("<hash>");
                &after[len..]
            }
            None => after,
        };
    }
    out.push_str(rest);
    out
}

/// Whether `actual` (lines) is what `expected` shows: equal line for line, where each `…` line
/// of `expected` takes any number of lines.
pub fn matches(expected: &[&str], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((&ELISION, rest)) => (0..=actual.len()).any(|skip| matches(rest, &actual[skip..])),
        Some((first, rest)) => actual
            .split_first()
            .is_some_and(|(line, others)| line == first && matches(rest, others)),
    }
}

/// Where `expected` (README lines with their numbers) and `actual` first part, for the report:
/// the README line number (or the line after the block's last) and what each side has there.
pub fn first_difference(expected: &[(usize, String)], actual: &[&str], end: usize) -> String {
    let mut e = 0;
    let mut a = 0;
    while e < expected.len() && expected[e].1 != ELISION {
        let (number, line) = &expected[e];
        match actual.get(a) {
            Some(got) if got == line => {}
            Some(got) => {
                return format!(
                    "README.md:{number}: shows  {line}\n{:>w$}prints {got}",
                    "",
                    w = format!("README.md:{number}: ").len()
                )
            }
            None => {
                return format!("README.md:{number}: shows  {line}\n(the output ends before it)")
            }
        }
        e += 1;
        a += 1;
    }
    match (expected.get(e), actual.get(a)) {
        (Some((number, _)), _) => format!(
            "README.md:{number}: from the `…` on, the lines after it are not found in order"
        ),
        (None, Some(extra)) => {
            format!("README.md:{end}: the block ends, but the output goes on with  {extra}")
        }
        (None, None) => "the outputs are equal".to_string(),
    }
}

#[test]
fn volatile_parts_are_put_in_one_form() {
    let printed = "/tmp/readmeAb12C/artifacts/db/backups/onsen_dev_20261205T163307Z.db\n2026-12-05T16:33:07.123Z  12 ms  xxh3-128:0123456789abcdef0123456789abcdef 2026-11-22 1000 yen";
    assert_eq!(
        normalise(printed, &[("/tmp/readmeAb12C".into(), "/home/me/onsendo".into())]),
        "/home/me/onsendo/artifacts/db/backups/onsen_dev_YYYYMMDDThhmmssZ.db\nYYYY-MM-DDThh:mm:ss.sssZ  N ms  xxh3-128:<hash> 2026-11-22 1000 yen"
    );
    assert_eq!(
        normalise("2026-12-05T16:33:07Z", &[]),
        "YYYY-MM-DDThh:mm:ssZ"
    );
    assert_eq!(
        normalise("120220261205T163307Z", &[]),
        "120220261205T163307Z",
        "not a time"
    );
    assert_eq!(
        normalise("xxh3-128:abc", &[]),
        "xxh3-128:abc",
        "too short for a hash"
    );
}

#[test]
fn a_backup_suffix_and_a_process_id_are_put_in_one_form() {
    assert_eq!(
        normalise("x_20261205T163307Z_2.db", &[]),
        "x_YYYYMMDDThhmmssZ.db"
    );
    assert_eq!(
        normalise("by me@box (process 4242);", &[]),
        "by me@box (process N);"
    );
}

#[test]
fn an_elision_line_takes_any_number_of_lines() {
    assert!(matches(&["a", "…", "d"], &["a", "b", "c", "d"]));
    assert!(matches(&["a", "…", "d"], &["a", "d"]));
    assert!(matches(&["…"], &[]));
    assert!(!matches(&["a", "…", "d"], &["a", "b", "c"]));
    assert!(!matches(&["a", "b"], &["a", "b", "c"]));
    assert!(!matches(&["a", "b"], &["a", "B"]));
}

#[test]
fn the_first_difference_names_the_readme_line() {
    let expected = vec![(10, "one".to_string()), (11, "two".to_string())];
    let report = first_difference(&expected, &["one", "TWO"], 12);
    assert!(report.starts_with("README.md:11: shows  two\n"), "{report}");
    assert!(report.ends_with("prints TWO"), "{report}");
    let longer = first_difference(&expected, &["one", "two", "three"], 12);
    assert!(
        longer.starts_with("README.md:12: the block ends"),
        "{longer}"
    );
}
