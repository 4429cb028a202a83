//! Documents as PDF: a plain layout engine over the document model, rendered with printpdf and
//! the bundled fonts. Nothing is written to disk here: the bytes go back to the caller, who
//! writes them where the user chose.

mod email;
mod layout;
mod model;
mod render;
pub use render::METADATA_TITLE;

pub use email::draft as email_draft;
pub use layout::{Face, Laid, Measure, REPLACEMENT};
pub use model::{Block, NOT_KNOWN};
pub use render::{Fonts, Frame, MARKING};

use crate::error::Result;

/// A generated document.
pub struct Pdf {
    pub bytes: Vec<u8>,
    pub pages: usize,
    /// Characters the fonts could not show; each was printed as U+FFFD and listed in a notice.
    pub missing: Vec<char>,
}

/// Lays out and renders `blocks`. If some characters cannot be shown, a notice naming them is
/// added at the end, so nothing is dropped silently.
pub fn build(blocks: Vec<Block>, frame: &Frame) -> Result<Pdf> {
    let fonts = Fonts::get()?;
    let mut laid = layout::layout(fonts, &blocks);
    let missing: Vec<char> = laid.missing.iter().copied().collect();
    if !missing.is_empty() {
        let mut with_notice = blocks;
        let names: Vec<String> = missing
            .iter()
            .map(|c| format!("U+{:04X}", *c as u32))
            .collect();
        with_notice.push(Block::Note(format!(
            "Some characters in the records cannot be printed with this document's font and are shown as {REPLACEMENT}: {}. The records themselves are unchanged.",
            names.join(", ")
        )));
        laid = layout::layout(fonts, &with_notice);
    }
    let bytes = render::render(fonts, &laid, frame)?;
    Ok(Pdf {
        bytes,
        pages: laid.pages.len(),
        missing,
    })
}

/// Lays out only (for the contents page: where each heading lands).
pub fn heading_pages(blocks: &[Block]) -> Result<Vec<usize>> {
    Ok(layout::layout(Fonts::get()?, blocks).heading_pages)
}

/// Pages `blocks` take.
pub fn page_count(blocks: &[Block]) -> Result<usize> {
    Ok(layout::layout(Fonts::get()?, blocks).pages.len())
}

/// Writes a document straight to a new file (no temporary copy anywhere else), readable by its
/// owner only, flushed to disk before returning. Never over an existing file. Errors carry the
/// kind, never the path.
pub fn save_to(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut f = crate::files::create_new_private(path)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

/// As [`save_to`], over an existing file: only where the person confirmed the overwrite in
/// the save dialog.
pub fn save_over(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut f = crate::files::create_private(path)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}
