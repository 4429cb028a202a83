// The core's labels and choices (categories, record kinds, roles, protection statuses, the
// referral's and decision's choices, body map sides, status flags), loaded once when the app
// starts. Components read them here instead of keeping their own tables.
import { api, type Category, type Labelled, type ProtectionStatus, type RecordKind, type Role, type Vocabulary } from "./api";
import type { Agency } from "../bindings/Agency";
import type { BodySide } from "../bindings/BodySide";
import type { Consent } from "../bindings/Consent";
import type { DecisionOutcome } from "../bindings/DecisionOutcome";
import type { ReferralMethod } from "../bindings/ReferralMethod";
import type { StatusFlag } from "../bindings/StatusFlag";

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
  get agencies(): Labelled<Agency>[] {
    return loaded.current?.agencies ?? [];
  },
  get referralMethods(): Labelled<ReferralMethod>[] {
    return loaded.current?.referral_methods ?? [];
  },
  get consents(): Labelled<Consent>[] {
    return loaded.current?.consents ?? [];
  },
  /** Not known, yes, no: a yes / no that may not be known. */
  get yesNoUnknown(): Labelled<boolean | null>[] {
    return loaded.current?.yes_no_unknown ?? [];
  },
  get decisionOutcomes(): Labelled<DecisionOutcome>[] {
    return loaded.current?.decision_outcomes ?? [];
  },
  get bodySides(): Labelled<BodySide>[] {
    return loaded.current?.body_sides ?? [];
  },
  get statusFlags(): Labelled<StatusFlag>[] {
    return loaded.current?.status_flags ?? [];
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
  bodySide: (s: BodySide) => labelOf(loaded.current?.body_sides, s),
  statusFlag: (f: StatusFlag) => labelOf(loaded.current?.status_flags, f),
  /** For tests: the vocabulary without asking the shell. */
  set(v: Vocabulary) {
    loaded.current = v;
  },
};
