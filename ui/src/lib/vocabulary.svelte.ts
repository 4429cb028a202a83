// The core's labels and choices (categories, record kinds, roles, protection statuses), loaded
// once when the app starts. Components read them here instead of keeping their own tables.
import { api, type Category, type Labelled, type ProtectionStatus, type RecordKind, type Role, type Vocabulary } from "./api";

const loaded = $state<{ current: Vocabulary | null }>({ current: null });

export async function loadVocabulary(): Promise<void> {
  if (!loaded.current) loaded.current = await api.vocabulary();
}

function labelOf<T>(list: Labelled<T>[] | undefined, value: T): string {
  return list?.find((l) => l.value === value)?.label ?? String(value);
}

export const words = {
  get categories(): Labelled<Category>[] {
    return loaded.current?.categories ?? [];
  },
  get roles(): Labelled<Role>[] {
    return loaded.current?.roles ?? [];
  },
  /** The kinds a chronology lists, with their labels, in the filter's order. */
  get chronologyKinds(): Labelled<RecordKind>[] {
    const v = loaded.current;
    return v ? v.chronology_kinds.map((k) => ({ value: k, label: labelOf(v.record_kinds, k) })) : [];
  },
  category: (c: Category) => labelOf(loaded.current?.categories, c),
  kind: (k: RecordKind) => labelOf(loaded.current?.record_kinds, k),
  role: (r: Role) => labelOf(loaded.current?.roles, r),
  statusShort: (s: ProtectionStatus) => labelOf(loaded.current?.protection_statuses_short, s),
  /** For tests: the vocabulary without asking the shell. */
  set(v: Vocabulary) {
    loaded.current = v;
  },
};
