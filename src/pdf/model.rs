//! What a document is made of, before layout: headings, paragraphs, label/value fields, the
//! child's words set apart, and tables.

/// Written wherever a field is empty, so the reader knows it was considered (DOMAIN.md).
/// What a document says for a value nobody knew (the one definition is `fields::NOT_KNOWN`).
pub use crate::fields::NOT_KNOWN;

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Title(String),
    /// A section heading: in the contents, and never left alone at the foot of a page.
    Heading(String),
    Subheading(String),
    Paragraph(String),
    /// Small italic text: sources, notices.
    Note(String),
    /// Label/value pairs; an empty value reads "Not known".
    Fields(Vec<(String, String)>),
    /// Words quoted verbatim (the child's), with who said them and when as the label.
    Quote {
        label: String,
        text: String,
    },
    /// Columns sized by relative `widths`; the header repeats on every page the table reaches.
    Table {
        headers: Vec<String>,
        widths: Vec<f32>,
        rows: Vec<Vec<String>>,
    },
    PageBreak,
}
