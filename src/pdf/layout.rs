//! Lays a document out on A4 pages: text wrapped by the font's own glyph widths, paragraphs and
//! table rows split across pages so nothing is cut off, table headers repeated on each page,
//! headings kept with what follows. Pure: blocks in, positioned items out.

use std::collections::BTreeSet;

use super::model::{Block, NOT_KNOWN};

/// A4 in points.
pub const PAGE_W: f32 = 595.28;
pub const PAGE_H: f32 = 841.89;
pub const MARGIN_X: f32 = 56.0;
/// The body's top and bottom edges (the header and footer live outside them).
pub const BODY_TOP: f32 = PAGE_H - 72.0;
pub const BODY_BOTTOM: f32 = 70.0;
pub const BODY_W: f32 = PAGE_W - 2.0 * MARGIN_X;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Face {
    Regular,
    Bold,
    Italic,
}

/// Glyph widths of the three faces, for measuring text before it is placed.
pub trait Measure {
    /// Width of `text` in points at `size`.
    fn width(&self, face: Face, size: f32, text: &str) -> f32;
    /// Whether the face has a glyph for `c`.
    fn has_glyph(&self, face: Face, c: char) -> bool;
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Text {
        x: f32,
        y: f32,
        face: Face,
        size: f32,
        text: String,
    },
    /// A horizontal rule.
    Rule { x: f32, y: f32, w: f32, weight: f32 },
    /// A filled grey box (table header background, the child's-words bar).
    Fill {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        grey: f32,
    },
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Page {
    pub items: Vec<Item>,
}

/// The laid-out document and any characters the font could not show (replaced, visibly).
#[derive(Debug, Default)]
pub struct Laid {
    pub pages: Vec<Page>,
    pub missing: BTreeSet<char>,
    /// For each `Block::Heading` in order: the page (1-based) it landed on.
    pub heading_pages: Vec<usize>,
}

/// Shown in place of a character the font lacks.
pub const REPLACEMENT: char = '\u{FFFD}';

const BODY_SIZE: f32 = 10.0;
/// Tables are set a little smaller so dates and short columns fit.
const TABLE_SIZE: f32 = 9.0;
const LEADING: f32 = 1.35;
const CELL_PAD: f32 = 3.0;

struct Cursor<'m> {
    m: &'m dyn Measure,
    laid: Laid,
    page: Page,
    y: f32,
}

impl<'m> Cursor<'m> {
    fn new(m: &'m dyn Measure) -> Self {
        Cursor {
            m,
            laid: Laid::default(),
            page: Page::default(),
            y: BODY_TOP,
        }
    }

    fn room(&self) -> f32 {
        self.y - BODY_BOTTOM
    }

    fn at_top(&self) -> bool {
        self.y >= BODY_TOP - 0.01
    }

    fn new_page(&mut self) {
        let done = std::mem::take(&mut self.page);
        self.laid.pages.push(done);
        self.y = BODY_TOP;
    }

    fn ensure(&mut self, h: f32) {
        if self.room() < h && !self.at_top() {
            self.new_page();
        }
    }

    fn text(&mut self, x: f32, face: Face, size: f32, text: String) {
        self.page.items.push(Item::Text {
            x,
            y: self.y - size,
            face,
            size,
            text,
        });
    }

    /// Replaces characters the face cannot show, remembering them for the notice.
    fn showable(&mut self, face: Face, s: &str) -> String {
        s.chars()
            .map(|c| {
                if c == '\n' {
                    c
                } else if c.is_control() {
                    ' '
                } else if self.m.has_glyph(face, c) {
                    c
                } else {
                    self.laid.missing.insert(c);
                    REPLACEMENT
                }
            })
            .collect()
    }

    /// Wraps text into lines no wider than `w`, breaking at spaces, and inside a word only
    /// when the word alone is wider than the line. Newlines start new lines.
    fn wrap(&mut self, face: Face, size: f32, w: f32, text: &str) -> Vec<String> {
        let text = self.showable(face, text);
        let mut lines = Vec::new();
        for para in text.split('\n') {
            let mut line = String::new();
            for word in para.split(' ').filter(|w| !w.is_empty()) {
                let candidate = if line.is_empty() {
                    word.to_owned()
                } else {
                    format!("{line} {word}")
                };
                if self.m.width(face, size, &candidate) <= w {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                // The word alone is too wide: break after its hyphens where that is enough,
                // and by characters only where a piece is still too wide.
                let mut piece = String::new();
                for part in word.split_inclusive('-') {
                    let joined = format!("{piece}{part}");
                    if self.m.width(face, size, &joined) <= w {
                        piece = joined;
                        continue;
                    }
                    if !piece.is_empty() {
                        lines.push(std::mem::take(&mut piece));
                    }
                    for c in part.chars() {
                        piece.push(c);
                        if self.m.width(face, size, &piece) > w && piece.chars().count() > 1 {
                            piece.pop();
                            lines.push(std::mem::take(&mut piece));
                            piece.push(c);
                        }
                    }
                }
                line = piece;
            }
            lines.push(line);
        }
        lines
    }

    fn lines(&mut self, face: Face, size: f32, x: f32, lines: Vec<String>) {
        let lh = size * LEADING;
        for l in lines {
            self.ensure(lh);
            self.text(x, face, size, l);
            self.y -= lh;
        }
    }

    /// Height of the first `n` lines of a block, for keeping a heading with what follows.
    fn first_lines_height(&mut self, block: Option<&Block>) -> f32 {
        let lh = BODY_SIZE * LEADING;
        match block {
            Some(Block::Table { .. }) | Some(Block::Fields(_)) => 3.0 * lh + 2.0 * CELL_PAD,
            Some(_) => 2.0 * lh,
            None => 0.0,
        }
    }

    /// Rows of cells (each already wrapped) with an optional header repeated on every page.
    /// A row taller than what is left is split line by line; nothing is dropped.
    fn rows(
        &mut self,
        size: f32,
        cols: &[(f32, f32)],
        header: Option<&[Vec<String>]>,
        rows: Vec<(Vec<Vec<String>>, Face)>,
    ) {
        let lh = size * LEADING;
        let draw_header = |c: &mut Cursor, h: &[Vec<String>]| {
            let n = h.iter().map(Vec::len).max().unwrap_or(1).max(1);
            let height = n as f32 * lh + 2.0 * CELL_PAD;
            c.page.items.push(Item::Fill {
                x: MARGIN_X,
                y: c.y - height,
                w: BODY_W,
                h: height,
                grey: 0.9,
            });
            for (i, cell) in h.iter().enumerate() {
                let saved = c.y;
                c.y -= CELL_PAD;
                for l in cell {
                    c.text(cols[i].0 + CELL_PAD, Face::Bold, size, l.clone());
                    c.y -= lh;
                }
                c.y = saved;
            }
            c.y -= height;
        };
        if let Some(h) = header {
            let n = h.iter().map(Vec::len).max().unwrap_or(1);
            self.ensure((n + 1) as f32 * lh + 4.0 * CELL_PAD);
            draw_header(self, h);
        }
        let header_h = header.map_or(0.0, |h| {
            h.iter().map(Vec::len).max().unwrap_or(1).max(1) as f32 * lh + 2.0 * CELL_PAD
        });
        // How many lines of a row fit on a fresh page under the header.
        let fresh_fit =
            ((BODY_TOP - BODY_BOTTOM - header_h - 2.0 * CELL_PAD) / lh).floor() as usize;
        for (cells, label_face) in rows {
            let total = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
            let mut from = 0;
            while from < total {
                let fit = ((self.room() - 2.0 * CELL_PAD) / lh).floor().max(0.0) as usize;
                let wanted = total - from;
                // A row that would fit on a fresh page moves there whole; a longer one is split,
                // but not with fewer than three of its lines left at the foot of a page.
                if fit < wanted && !self.at_top() && (wanted <= fresh_fit || fit < 3) {
                    self.new_page();
                    if let Some(h) = header {
                        draw_header(self, h);
                    }
                    continue;
                }
                let take = wanted.min(fit.max(1));
                let top = self.y;
                for (i, cell) in cells.iter().enumerate() {
                    self.y = top - CELL_PAD;
                    let face = if i == 0 { label_face } else { Face::Regular };
                    for l in cell.iter().skip(from).take(take) {
                        self.text(cols[i].0 + CELL_PAD, face, size, l.clone());
                        self.y -= lh;
                    }
                }
                self.y = top - take as f32 * lh - 2.0 * CELL_PAD;
                self.page.items.push(Item::Rule {
                    x: MARGIN_X,
                    y: self.y,
                    w: BODY_W,
                    weight: 0.4,
                });
                from += take;
                if from < total {
                    self.new_page();
                    if let Some(h) = header {
                        draw_header(self, h);
                    }
                }
            }
        }
    }

    fn block(&mut self, b: &Block, next: Option<&Block>) {
        let lh = BODY_SIZE * LEADING;
        match b {
            Block::Title(t) => {
                let lines = self.wrap(Face::Bold, 16.0, BODY_W, t);
                self.lines(Face::Bold, 16.0, MARGIN_X, lines);
                self.y -= 6.0;
            }
            Block::Heading(t) | Block::Subheading(t) => {
                let size = if matches!(b, Block::Heading(_)) {
                    13.0
                } else {
                    11.0
                };
                let lines = self.wrap(Face::Bold, size, BODY_W, t);
                let need =
                    lines.len() as f32 * size * LEADING + 8.0 + self.first_lines_height(next);
                if self.room() < need && !self.at_top() {
                    self.new_page();
                }
                if matches!(b, Block::Heading(_)) {
                    self.laid.heading_pages.push(self.laid.pages.len() + 1);
                }
                self.y -= 4.0;
                self.lines(Face::Bold, size, MARGIN_X, lines);
                if matches!(b, Block::Heading(_)) {
                    self.page.items.push(Item::Rule {
                        x: MARGIN_X,
                        y: self.y + 2.0,
                        w: BODY_W,
                        weight: 0.8,
                    });
                }
                self.y -= 4.0;
            }
            Block::Paragraph(t) => {
                let text = if t.trim().is_empty() { NOT_KNOWN } else { t };
                let lines = self.wrap(Face::Regular, BODY_SIZE, BODY_W, text);
                self.lines(Face::Regular, BODY_SIZE, MARGIN_X, lines);
                self.y -= 4.0;
            }
            Block::Note(t) => {
                let lines = self.wrap(Face::Italic, 9.0, BODY_W, t);
                self.lines(Face::Italic, 9.0, MARGIN_X, lines);
                self.y -= 4.0;
            }
            Block::Quote { label, text } => {
                let indent = 12.0;
                let label_lines = self.wrap(Face::Bold, BODY_SIZE, BODY_W - indent, label);
                let body = self.wrap(
                    Face::Italic,
                    BODY_SIZE,
                    BODY_W - indent,
                    &format!("“{text}”"),
                );
                self.ensure(lh * 2.0);
                for (i, l) in label_lines.into_iter().chain(body).enumerate() {
                    self.ensure(lh);
                    self.page.items.push(Item::Fill {
                        x: MARGIN_X,
                        y: self.y - lh,
                        w: 3.0,
                        h: lh,
                        grey: 0.35,
                    });
                    let face = if i == 0 { Face::Bold } else { Face::Italic };
                    self.text(MARGIN_X + indent, face, BODY_SIZE, l);
                    self.y -= lh;
                }
                self.y -= 6.0;
            }
            Block::Fields(pairs) => {
                let label_w = BODY_W * 0.32;
                let cols = [(MARGIN_X, label_w), (MARGIN_X + label_w, BODY_W - label_w)];
                let rows = pairs
                    .iter()
                    .map(|(k, v)| {
                        let v = if v.trim().is_empty() {
                            NOT_KNOWN
                        } else {
                            v.as_str()
                        };
                        let label = self.wrap(Face::Bold, BODY_SIZE, label_w - 2.0 * CELL_PAD, k);
                        let value =
                            self.wrap(Face::Regular, BODY_SIZE, cols[1].1 - 2.0 * CELL_PAD, v);
                        (vec![label, value], Face::Bold)
                    })
                    .collect();
                self.rows(BODY_SIZE, &cols, None, rows);
                self.y -= 6.0;
            }
            Block::Table {
                headers,
                widths,
                rows,
            } => {
                let total: f32 = widths.iter().sum();
                let mut x = MARGIN_X;
                let cols: Vec<(f32, f32)> = widths
                    .iter()
                    .map(|w| {
                        let c = (x, BODY_W * w / total);
                        x += c.1;
                        c
                    })
                    .collect();
                let header: Vec<Vec<String>> = headers
                    .iter()
                    .enumerate()
                    .map(|(i, h)| self.wrap(Face::Bold, TABLE_SIZE, cols[i].1 - 2.0 * CELL_PAD, h))
                    .collect();
                let body = rows
                    .iter()
                    .map(|r| {
                        let cells = r
                            .iter()
                            .enumerate()
                            .map(|(i, v)| {
                                let v = if v.trim().is_empty() {
                                    NOT_KNOWN
                                } else {
                                    v.as_str()
                                };
                                self.wrap(Face::Regular, TABLE_SIZE, cols[i].1 - 2.0 * CELL_PAD, v)
                            })
                            .collect();
                        (cells, Face::Regular)
                    })
                    .collect();
                self.rows(TABLE_SIZE, &cols, Some(&header), body);
                self.y -= 6.0;
            }
            Block::PageBreak => {
                if !self.at_top() {
                    self.new_page();
                }
            }
        }
    }
}

/// Lays out `blocks` on as many A4 pages as they need.
pub fn layout(m: &dyn Measure, blocks: &[Block]) -> Laid {
    let mut c = Cursor::new(m);
    for (i, b) in blocks.iter().enumerate() {
        c.block(b, blocks.get(i + 1));
    }
    if !c.page.items.is_empty() || c.laid.pages.is_empty() {
        c.new_page();
    }
    c.laid
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every character 5 pt wide at size 10; '☃' is missing from the font.
    struct Fixed;
    impl Measure for Fixed {
        fn width(&self, _: Face, size: f32, text: &str) -> f32 {
            text.chars().count() as f32 * size * 0.5
        }
        fn has_glyph(&self, _: Face, c: char) -> bool {
            c != '☃'
        }
    }

    fn texts(l: &Laid) -> Vec<String> {
        l.pages
            .iter()
            .flat_map(|p| p.items.iter())
            .filter_map(|i| match i {
                Item::Text { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect()
    }

    fn words_of(l: &Laid) -> Vec<String> {
        texts(l)
            .join(" ")
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn every_item_stays_inside_the_page_body() {
        let long = "word ".repeat(3000);
        let l = layout(
            &Fixed,
            &[
                Block::Heading("A".into()),
                Block::Paragraph(long.clone()),
                Block::Table {
                    headers: vec!["When".into(), "What".into()],
                    widths: vec![1.0, 3.0],
                    rows: (0..200)
                        .map(|i| vec![format!("{i}"), long[..(i * 7) % 900].into()])
                        .collect(),
                },
            ],
        );
        assert!(l.pages.len() > 10);
        for p in &l.pages {
            for i in &p.items {
                if let Item::Text {
                    x, y, text, size, ..
                } = i
                {
                    assert!(*y >= BODY_BOTTOM - 0.01 && *y <= BODY_TOP, "y {y}");
                    assert!(
                        x + Fixed.width(Face::Regular, *size, text) <= PAGE_W - MARGIN_X + 0.01
                    );
                }
            }
        }
    }

    #[test]
    fn table_headers_repeat_on_every_page_a_table_reaches() {
        let l = layout(
            &Fixed,
            &[Block::Table {
                headers: vec!["Date".into(), "Entry".into()],
                widths: vec![1.0, 4.0],
                rows: (0..300)
                    .map(|i| vec![format!("d{i}"), format!("entry number {i}")])
                    .collect(),
            }],
        );
        assert!(l.pages.len() >= 4);
        for p in &l.pages {
            let first = p.items.iter().find_map(|i| match i {
                Item::Text { text, .. } => Some(text.as_str()),
                _ => None,
            });
            assert_eq!(first, Some("Date"));
        }
    }

    #[test]
    fn a_heading_is_not_left_alone_at_the_bottom_of_a_page() {
        // 49 lines leave room for the heading alone but not for it and two lines of what follows.
        let mut blocks = vec![Block::Paragraph("line\n".repeat(48))];
        blocks.push(Block::Heading("Next section".into()));
        blocks.push(Block::Paragraph("Its first words".into()));
        let l = layout(&Fixed, &blocks);
        assert_eq!(l.heading_pages, vec![2]);
    }

    #[test]
    fn a_long_hyphenated_word_breaks_after_a_hyphen_before_it_breaks_letters() {
        let mut c = Cursor::new(&Fixed);
        // 5 pt per letter: 40 pt holds 8 letters.
        assert_eq!(
            c.wrap(Face::Regular, 10.0, 40.0, "abc-defgh"),
            vec!["abc-", "defgh"]
        );
        assert_eq!(
            c.wrap(Face::Regular, 10.0, 40.0, "abcdefghij"),
            vec!["abcdefgh", "ij"]
        );
    }

    #[test]
    fn newlines_start_new_lines_and_tabs_become_spaces() {
        let l = layout(&Fixed, &[Block::Paragraph("first\nsecond\tpart".into())]);
        assert_eq!(
            texts(&l),
            vec!["first".to_string(), "second part".to_string()]
        );
    }

    #[test]
    fn a_missing_glyph_is_replaced_visibly_and_reported() {
        let l = layout(&Fixed, &[Block::Paragraph("snow ☃ man".into())]);
        assert_eq!(texts(&l), vec!["snow \u{FFFD} man".to_string()]);
        assert!(l.missing.contains(&'☃'));
    }

    #[test]
    fn empty_fields_read_not_known() {
        let l = layout(&Fixed, &[Block::Fields(vec![("GP".into(), "  ".into())])]);
        assert_eq!(texts(&l), vec!["GP".to_string(), NOT_KNOWN.to_string()]);
    }

    proptest! {
        #[test]
        fn every_word_comes_out_in_order(words in prop::collection::vec("[a-zA-Z0-9'’-]{1,120}", 0..400)) {
            let text = words.join(" ");
            let l = layout(&Fixed, &[Block::Paragraph(text.clone())]);
            let out = words_of(&l).join("");
            let expected = if words.is_empty() { NOT_KNOWN.replace(' ', "") } else { words.join("") };
            prop_assert_eq!(out, expected);
        }
    }
}
