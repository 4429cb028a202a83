// Which screen the desk shows. One small state object, no router: the desk has no URLs.
export type View =
  | { name: "today" }
  | { name: "pupils" }
  | { name: "pupil"; id: string }
  | { name: "concern"; pupilId?: string }
  | { name: "voice"; pupilId: string }
  | { name: "referral"; pupilId: string }
  | { name: "notification" }
  | { name: "follow-ups" }
  | { name: "escalations" }
  | { name: "escalation"; id: string }
  | { name: "open-escalation"; pupilId: string; referralId?: string }
  | { name: "settings" };

/** Forms whose unsaved draft is restored after a lock: the view is kept for them. */
export const DRAFT_VIEWS = new Set<View["name"]>(["concern", "voice", "notification"]);

export const nav = $state<{ view: View }>({ view: { name: "today" } });

export function go(view: View) {
  nav.view = view;
  window.scrollTo(0, 0);
}
