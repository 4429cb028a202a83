// Saving a document: ask where (the save dialog, with the core's suggested name), then the core
// generates it and writes it straight there. Nothing is written anywhere else first.
import { save } from "@tauri-apps/plugin-dialog";
import { api, type DocumentRequest, type ReferralSelection, type SavedDocument } from "./api";

/** The outcome shown to the person: where it went and what to know about it. */
export function savedMessage(path: string, saved: SavedDocument, opened: boolean): string {
  const pages = `${saved.pages} page${saved.pages === 1 ? "" : "s"}`;
  const missing = saved.missing.length
    ? ` ${saved.missing.length} character(s) the font cannot show are printed as � and listed at the end (${saved.missing.join(", ")}).`
    : "";
  return `Saved ${path} (${pages}).${opened ? " Opened for printing." : ""}${missing}`;
}

/** Asks where to save the document, then saves it; null when the person cancelled. */
export async function saveDocument(request: DocumentRequest, open: boolean): Promise<string | null> {
  const defaultPath = await api.documentFileName(request);
  const path = await save({ title: "Save the document", defaultPath, filters: [{ name: "PDF", extensions: ["pdf"] }] });
  if (!path) return null;
  return savedMessage(path, await api.saveDocument(request, path, open), open);
}

/** Asks where to save the email draft (.eml), saves it and opens it in the mail client. */
export async function saveReferralEmail(selection: ReferralSelection): Promise<string | null> {
  const pdfName = await api.documentFileName({ kind: "referral", selection });
  const path = await save({ title: "Save the email draft", defaultPath: pdfName.replace(/\.pdf$/, ".eml"), filters: [{ name: "Email", extensions: ["eml"] }] });
  if (!path) return null;
  const saved = await api.saveReferralEmail(selection, path, true);
  return `Email draft saved as ${path} with the referral attached (${saved.pages} pages); it opens in your mail client to check and send.`;
}
