//! The README's examples: each ```text block whose first line starts with `$ `, cut into commands
//! and the output each is shown with, and the `<!-- readme-test: … -->` directives before it.

/// One command of an example and the lines shown after it, each with its README line number.
#[derive(Debug, PartialEq)]
pub struct Step {
    pub line: usize,
    pub command: String,
    pub expected: Vec<(usize, String)>,
}

/// How a block runs, from the directives before it.
#[derive(Debug, Default, PartialEq)]
pub struct Directives {
    /// `continue`: in the previous block's root, instead of a fresh one.
    pub continues: bool,
    /// `given CMD`: shell commands run first, in order; each must succeed, their output is not shown.
    pub given: Vec<(usize, String)>,
    /// `skip WHY`: not run, for this reason.
    pub skip: Option<String>,
}

/// An example block.
#[derive(Debug, PartialEq)]
pub struct Block {
    /// The line of its opening fence.
    pub line: usize,
    pub directives: Directives,
    pub steps: Vec<Step>,
}

const OPENING: &str = "<!-- readme-test:";

/// The example blocks of `readme`, or the first README line that breaks the rules: a directive
/// that is not one, or directives with no example block after them.
pub fn examples(readme: &str) -> Result<Vec<Block>, String> {
    let lines: Vec<&str> = readme.lines().collect();
    let mut blocks = Vec::new();
    let mut pending: Option<(usize, Directives)> = None;
    let mut i = 0;
    while i < lines.len() {
        let number = i + 1;
        let line = lines[i];
        if let Some(rest) = line.trim_start().strip_prefix(OPENING) {
            let (directives, end) = read_directives(&lines, i, rest)?;
            if pending.is_some() {
                return Err(format!("README.md:{number}: a second directive comment before one block; put every directive in one"));
            }
            pending = Some((number, directives));
            i = end + 1;
            continue;
        }
        if line.starts_with("```") {
            let close = (i + 1..lines.len())
                .find(|&j| lines[j].starts_with("```"))
                .ok_or(format!(
                    "README.md:{number}: a code block that never closes"
                ))?;
            let body = &lines[i + 1..close];
            let example = line == "```text" && body.first().is_some_and(|l| l.starts_with("$ "));
            if example {
                let directives = pending.take().map(|(_, d)| d).unwrap_or_default();
                blocks.push(Block {
                    line: number,
                    directives,
                    steps: steps(body, number + 1),
                });
            }
            i = close + 1;
            continue;
        }
        if let Some((at, _)) = &pending {
            if !line.trim().is_empty() {
                return Err(format!(
                    "README.md:{at}: a directive comment that no example block (```text, `$ ` lines) follows"
                ));
            }
        }
        i += 1;
    }
    match pending {
        Some((at, _)) => Err(format!(
            "README.md:{at}: a directive comment at the end, with no example block after it"
        )),
        None => Ok(blocks),
    }
}

/// The directives of the comment opened on line `start` (after the opening, `rest`), up to its
/// `-->`, and the index of the line that closes it.
fn read_directives(
    lines: &[&str],
    start: usize,
    rest: &str,
) -> Result<(Directives, usize), String> {
    let mut directives = Directives::default();
    let mut text = rest;
    let mut i = start;
    loop {
        let (content, closed) = match text.split_once("-->") {
            Some((content, _)) => (content, true),
            None => (text, false),
        };
        let content = content.trim();
        if !content.is_empty() {
            directive(&mut directives, content, i + 1)?;
        }
        if closed {
            return Ok((directives, i));
        }
        i += 1;
        text = lines.get(i).ok_or(format!(
            "README.md:{}: a directive comment that never closes",
            start + 1
        ))?;
    }
}

/// Records one directive, `text`, read on README line `number`.
fn directive(directives: &mut Directives, text: &str, number: usize) -> Result<(), String> {
    let (word, argument) = text.split_once(' ').unwrap_or((text, ""));
    let argument = argument.trim();
    match (word, argument.is_empty()) {
        ("continue", true) => directives.continues = true,
        ("given", false) => directives.given.push((number, argument.to_string())),
        ("skip", false) => directives.skip = Some(argument.to_string()),
        _ => {
            return Err(format!(
                "README.md:{number}: `{text}` is not a directive; they are `continue`, `given COMMAND`, `skip WHY`"
            ))
        }
    }
    Ok(())
}

/// The commands of a block's `body`, whose first line is README line `first`.
fn steps(body: &[&str], first: usize) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    for (offset, line) in body.iter().enumerate() {
        let number = first + offset;
        match (line.strip_prefix("$ "), steps.last_mut()) {
            (Some(command), _) => steps.push(Step {
                line: number,
                command: command.to_string(),
                expected: Vec::new(),
            }),
            (None, Some(step)) => step.expected.push((number, line.to_string())),
            (None, None) => unreachable!("an example block starts with a command"),
        }
    }
    steps
}

#[test]
fn blocks_commands_and_directives_are_found_with_their_lines() {
    let readme = "# title\n\n<!-- readme-test: continue -->\n```text\n$ onsendo stats\n1 visit\n\n$ true\n```\n\n```text\nnot an example\n```\n<!-- readme-test:\ngiven cargo xtask database init\nskip needs a terminal\n-->\n```text\n$ cargo xtask database shell\n```\n";
    let blocks = examples(readme).unwrap();
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0].line, 4);
    assert!(blocks[0].directives.continues);
    assert_eq!(
        blocks[0].steps,
        [
            Step {
                line: 5,
                command: "onsendo stats".into(),
                expected: vec![(6, "1 visit".into()), (7, String::new())],
            },
            Step {
                line: 8,
                command: "true".into(),
                expected: vec![],
            },
        ]
    );
    assert_eq!(
        blocks[1].directives,
        Directives {
            continues: false,
            given: vec![(15, "cargo xtask database init".into())],
            skip: Some("needs a terminal".into()),
        }
    );
}

#[test]
fn a_stray_or_unknown_directive_is_an_error_naming_its_line() {
    let stray = "<!-- readme-test: continue -->\nprose\n```text\n$ true\n```\n";
    assert!(examples(stray).unwrap_err().starts_with("README.md:1: "));
    let unknown = "\n<!-- readme-test: keep -->\n```text\n$ true\n```\n";
    assert!(examples(unknown)
        .unwrap_err()
        .starts_with("README.md:2: `keep`"));
    let no_reason = "<!-- readme-test: skip -->\n```text\n$ true\n```\n";
    assert!(examples(no_reason).is_err());
}
