// Saving a document: the shell asks where (its save dialog, with the core's suggested name),
// then the core generates it and writes it straight there. The window never names a path.
import { api, type DocumentRequest, type ReferralSelection, type SavedDocument } from "./api";

/** The outcome shown to the person: where it went and what to know about it. */
export function savedMessage(saved: SavedDocument, opened: boolean): string {
  const pages = `${saved.pages} page${saved.pages === 1 ? "" : "s"}`;
  const missing = saved.missing.length
    ? ` ${saved.missing.length} character(s) the font cannot show are printed as � and listed at the end (${saved.missing.join(", ")}).`
    : "";
  return `Saved ${saved.path} (${pages}).${opened ? " Opened for printing." : ""}${missing}`;
}

/** Asks where to save the document, then saves it; null when the person cancelled. */
export async function saveDocument(request: DocumentRequest, open: boolean): Promise<string | null> {
  const saved = await api.saveDocument(request, open);
  return saved ? savedMessage(saved, open) : null;
}

/** Asks where to save the email draft (.eml), saves it and opens it in the mail client. */
export async function saveReferralEmail(selection: ReferralSelection): Promise<string | null> {
  const saved = await api.saveReferralEmail(selection);
  if (!saved) return null;
  return `Email draft saved as ${saved.path} with the referral attached (${saved.pages} pages); it opens in your mail client to check and send.`;
}
