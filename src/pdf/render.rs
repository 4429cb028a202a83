//! Turns laid-out pages into PDF bytes with printpdf: the bundled DejaVu fonts embedded as
//! subsets, the protective marking in the header, and a footer that ties a printed copy to the
//! store (page X of Y, when and by whom it was generated, the audit chain head).

use std::sync::OnceLock;

use printpdf::{
    Color, FontId, Greyscale, Line, LinePoint, Mm, Op, ParsedFont, PdfDocument, PdfFontHandle,
    PdfPage, PdfSaveOptions, Point, Pt, Rect, TextItem,
};

use super::layout::{
    self, BODY_BOTTOM, BODY_TOP, Face, Item, Laid, MARGIN_X, Measure, PAGE_H, PAGE_W,
};
use crate::error::{Error, Result};

const REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");
const ITALIC: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Oblique.ttf");

// The header's title line sits above the body.
const _: () = assert!(BODY_TOP < PAGE_H - 52.0);

/// The government protective marking for personal safeguarding information.
pub const MARKING: &str = "OFFICIAL-SENSITIVE";

/// The three faces, parsed once per process.
pub struct Fonts {
    regular: ParsedFont,
    bold: ParsedFont,
    italic: ParsedFont,
}

impl Fonts {
    pub fn get() -> Result<&'static Fonts> {
        static FONTS: OnceLock<Option<Fonts>> = OnceLock::new();
        FONTS
            .get_or_init(|| {
                let parse = |b: &[u8]| ParsedFont::from_bytes(b, 0, &mut Vec::new());
                Some(Fonts {
                    regular: parse(REGULAR)?,
                    bold: parse(BOLD)?,
                    italic: parse(ITALIC)?,
                })
            })
            .as_ref()
            .ok_or(Error::Internal {
                detail: "the bundled fonts could not be read".into(),
            })
    }

    fn face(&self, f: Face) -> &ParsedFont {
        match f {
            Face::Regular => &self.regular,
            Face::Bold => &self.bold,
            Face::Italic => &self.italic,
        }
    }
}

impl Measure for Fonts {
    fn width(&self, face: Face, size: f32, text: &str) -> f32 {
        let font = self.face(face);
        let upm = font.font_metrics.units_per_em.max(1) as f32;
        let units: u32 = text
            .chars()
            .map(|c| {
                font.lookup_glyph_index(c as u32)
                    .map_or(upm as u32 / 2, |g| font.get_horizontal_advance(g) as u32)
            })
            .sum();
        units as f32 * size / upm
    }

    fn has_glyph(&self, face: Face, c: char) -> bool {
        c == ' '
            || self
                .face(face)
                .lookup_glyph_index(c as u32)
                .is_some_and(|g| g != 0)
    }
}

/// The title in every document's metadata.
pub const METADATA_TITLE: &str = "Safeguard Desk document (OFFICIAL-SENSITIVE)";

/// What the header and footer say.
pub struct Frame<'a> {
    pub title: &'a str,
    /// "dd/mm/yyyy HH:MM" in Europe/London.
    pub generated_at: &'a str,
    pub generated_by: &'a str,
    /// "seq 1234 · 3fa9c2d1" — the audit chain head when the document was generated.
    pub chain_head: &'a str,
}

fn text_op(font: &FontId, size: f32, x: f32, y: f32, text: &str) -> [Op; 5] {
    [
        Op::StartTextSection,
        Op::SetFont {
            font: PdfFontHandle::External(font.clone()),
            size: Pt(size),
        },
        Op::SetTextCursor {
            pos: Point { x: Pt(x), y: Pt(y) },
        },
        Op::ShowText {
            items: vec![TextItem::Text(text.to_owned())],
        },
        Op::EndTextSection,
    ]
}

fn grey(level: f32) -> Color {
    Color::Greyscale(Greyscale {
        percent: level,
        icc_profile: None,
    })
}

/// Renders the pages, each with its header and footer, into a PDF.
pub fn render(fonts: &Fonts, laid: &Laid, frame: &Frame) -> Result<Vec<u8>> {
    // The metadata names no child: a file's properties are shown by file managers and mail
    // clients to people who never open it.
    let mut doc = PdfDocument::new(METADATA_TITLE);
    let ids = [
        doc.add_font(&fonts.regular),
        doc.add_font(&fonts.bold),
        doc.add_font(&fonts.italic),
    ];
    let id = |f: Face| match f {
        Face::Regular => &ids[0],
        Face::Bold => &ids[1],
        Face::Italic => &ids[2],
    };
    let total = laid.pages.len();
    let mut pages = Vec::with_capacity(total);
    for (n, page) in laid.pages.iter().enumerate() {
        let mut ops: Vec<Op> = Vec::new();
        // Header first, so text extraction reads the page top to bottom: the marking, centred and bold, and the document title.
        let marking_w = fonts.width(Face::Bold, 11.0, MARKING);
        ops.extend(text_op(
            id(Face::Bold),
            11.0,
            (PAGE_W - marking_w) / 2.0,
            PAGE_H - 34.0,
            MARKING,
        ));
        ops.extend(text_op(
            id(Face::Regular),
            8.0,
            MARGIN_X,
            PAGE_H - 52.0,
            &fit(fonts, frame.title, 8.0, layout::BODY_W),
        ));
        for item in &page.items {
            match item {
                Item::Text {
                    x,
                    y,
                    face,
                    size,
                    text,
                } => {
                    if !text.is_empty() {
                        ops.extend(text_op(id(*face), *size, *x, *y, text));
                    }
                }
                Item::Rule { x, y, w, weight } => {
                    ops.push(Op::SetOutlineColor { col: grey(0.4) });
                    ops.push(Op::SetOutlineThickness { pt: Pt(*weight) });
                    ops.push(Op::DrawLine {
                        line: Line {
                            points: vec![
                                LinePoint {
                                    p: Point {
                                        x: Pt(*x),
                                        y: Pt(*y),
                                    },
                                    bezier: false,
                                },
                                LinePoint {
                                    p: Point {
                                        x: Pt(x + w),
                                        y: Pt(*y),
                                    },
                                    bezier: false,
                                },
                            ],
                            is_closed: false,
                        },
                    });
                }
                Item::Fill {
                    x,
                    y,
                    w,
                    h,
                    grey: g,
                } => {
                    ops.push(Op::SetFillColor { col: grey(*g) });
                    ops.push(Op::DrawRectangle {
                        rectangle: Rect {
                            x: Pt(*x),
                            y: Pt(*y),
                            width: Pt(*w),
                            height: Pt(*h),
                            mode: Some(printpdf::PaintMode::Fill),
                            winding_order: None,
                        },
                    });
                    ops.push(Op::SetFillColor { col: grey(0.0) });
                }
            }
        }
        // Footer: page X of Y, when and by whom, the chain head; the marking again.
        let footer = format!(
            "Page {} of {} · Generated {} by {}",
            n + 1,
            total,
            frame.generated_at,
            frame.generated_by,
        );
        ops.extend(text_op(
            id(Face::Regular),
            7.5,
            MARGIN_X,
            BODY_BOTTOM - 22.0,
            &fit(fonts, &footer, 7.5, layout::BODY_W),
        ));
        // The full 256-bit head on a line of its own: `sgd verify --expect SEQ:HASH` takes it.
        ops.extend(text_op(
            id(Face::Regular),
            6.5,
            MARGIN_X,
            BODY_BOTTOM - 31.0,
            &fit(
                fonts,
                &format!("Audit chain {}", frame.chain_head),
                6.5,
                layout::BODY_W,
            ),
        ));
        let marking_w = fonts.width(Face::Bold, 9.0, MARKING);
        ops.extend(text_op(
            id(Face::Bold),
            9.0,
            (PAGE_W - marking_w) / 2.0,
            BODY_BOTTOM - 44.0,
            MARKING,
        ));
        pages.push(PdfPage::new(Mm(210.0), Mm(297.0), ops));
    }
    let mut warnings = Vec::new();
    let opts = PdfSaveOptions {
        subset_fonts: true,
        ..Default::default()
    };
    Ok(doc.with_pages(pages).save(&opts, &mut warnings))
}

/// Shortens a one-line text to `w` points with an ellipsis (header and footer only).
fn fit(fonts: &Fonts, s: &str, size: f32, w: f32) -> String {
    if fonts.width(Face::Regular, size, s) <= w {
        return s.to_owned();
    }
    let mut out: String = s.to_owned();
    while !out.is_empty() && fonts.width(Face::Regular, size, &format!("{out}…")) > w {
        out.pop();
    }
    format!("{out}…")
}
